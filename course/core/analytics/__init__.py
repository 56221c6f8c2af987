"""Pure computations behind the trainers' analytics pages: item reports from stored answers, CSV cells."""

// A background job's page (course/templates/jobs/job.html): asks the server how far the job is, fills in the
// progress bar and the status text (a live region, so a screen reader says what changed), and shows the download
// link once the file is ready. Without JavaScript the page's "Refresh" link does the same by hand.
"use strict";
(() => {
  const box = document.querySelector("[data-job-status]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const message = box.querySelector("[role=status]");
  const download = box.querySelector(".job__download");
  const refresh = box.querySelector("[data-job-refresh]");
  let wait = 1000;

  const show = (status) => {
    if (status.percent === null || status.percent === undefined) {
      if (status.state === "done" || status.state === "failed") bar.value = 100;
      else bar.removeAttribute("value");
    } else {
      bar.value = status.percent;
      bar.textContent = `${status.percent} %`;
    }
    if (message.textContent !== status.message) message.textContent = status.message;
    if (status.download) {
      const link = download.querySelector("a");
      link.href = status.download;
      link.textContent = status.download_label;
      download.hidden = false;
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(box.dataset.jobStatus, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return; // gone or not ours any more: the Refresh link shows why
      const status = await response.json();
      show(status);
      if (status.state === "failed") {
        window.location.reload(); // the page then offers "Try again"
        return;
      }
      if (status.state === "done") {
        if (refresh) refresh.hidden = true;
        return;
      }
    } catch {
      // the server did not answer: try again a little later
    }
    wait = Math.min(wait * 1.5, 5000);
    window.setTimeout(poll, wait);
  };

  if (box.dataset.jobState === "queued" || box.dataset.jobState === "running") window.setTimeout(poll, wait);
})();

// The course sidebar is a <details>: collapsed above the content on phones (also without JavaScript), open beside
// the content on wide screens, where the stylesheet places it.
(function () {
  "use strict";
  const sidebar = document.querySelector("[data-course-path]");
  if (!sidebar) {
    return;
  }
  const wide = window.matchMedia("(min-width: 60rem)");
  const follow = () => {
    sidebar.open = wide.matches;
  };
  follow();
  wide.addEventListener("change", follow);
})();

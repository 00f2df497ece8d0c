/* Tsunagu: small progressive enhancements. Every page works without them. */
(function () {
  "use strict";

  // Ask before a form does something hard to undo (data-confirm="...").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // The job form shows only the chosen format's terms (data-format="...").
  function showChosenFormat(form) {
    var chosen = form.querySelector("input[name='format']:checked");
    var value = chosen ? chosen.value : "project";
    form.querySelectorAll("[data-format]").forEach(function (section) {
      section.hidden = section.getAttribute("data-format") !== value;
    });
  }

  function setUpFormatSwitch() {
    document.querySelectorAll("form[data-format-switch]").forEach(function (form) {
      showChosenFormat(form);
      form.addEventListener("change", function (event) {
        if (event.target && event.target.name === "format") {
          showChosenFormat(form);
        }
      });
    });
  }

  // Mark the job list busy while htmx fetches it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.target;
    if (target) {
      target.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (target) {
      target.removeAttribute("aria-busy");
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpFormatSwitch);
  } else {
    setUpFormatSwitch();
  }
})();

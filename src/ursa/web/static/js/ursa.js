// Ursa portal behaviour: modal dialogs and htmx response handling. Nothing else.
(function () {
  "use strict";

  // 422 re-renders a form with its errors; other 4xx/5xx carry an out-of-band toast
  // (the server adds HX-Reswap: none so the target itself is left alone).
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "422", swap: true },
    { code: "[45]..", swap: true, error: true },
    { code: "...", swap: false }
  ];

  var SELECTOR = "dialog[data-onload-showmodal]";

  htmx.onLoad(function (root) {
    var dialogs = root.matches && root.matches(SELECTOR) ? [root] : [];
    if (root.querySelectorAll) {
      dialogs = dialogs.concat(Array.prototype.slice.call(root.querySelectorAll(SELECTOR)));
    }
    dialogs.forEach(function (dialog) {
      if (!dialog.open) { dialog.showModal(); }
    });
  });

  // htmx fires the other HX-Trigger events on the form inside the dialog right after this one;
  // removing the dialog at once would detach the form and those events would never reach body.
  document.addEventListener("closeDialog", function () {
    document.querySelectorAll("#dialogs dialog").forEach(function (dialog) {
      if (dialog.open) { dialog.close(); }
      setTimeout(function () { dialog.remove(); }, 0);
    });
  });
})();

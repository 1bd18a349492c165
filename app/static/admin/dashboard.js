// The dashboard: embeds the Bokeh charts the page carries as JSON (BokehJS is served by the app), and submits
// the controls when a period preset is chosen; typing dates switches the preset to «Произвольный».
(function () {
  var data = document.getElementById("dashboard-charts");
  if (data && typeof Bokeh !== "undefined") {
    var items = JSON.parse(data.textContent);
    Object.keys(items).forEach(function (id) {
      if (document.getElementById(id)) Bokeh.embed.embed_item(items[id], id);
    });
  }
  var form = document.getElementById("dashboard-form");
  if (!form) return;
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "start" || target.name === "end") {
      var custom = form.querySelector('input[name="preset"][value="custom"]');
      if (custom) custom.checked = true;
      return;
    }
    if (target.name === "preset" && target.value !== "custom") form.submit();
  });
})();

// Loads each dashboard feed after the page is shown, so that a slow feed never
// delays the page. Each <section data-feed-url> gets the HTML fragment it points to.
document.querySelectorAll("[data-feed-url]").forEach(function (section) {
  fetch(section.dataset.feedUrl, {credentials: "same-origin"})
    .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
    .then(function (html) { section.querySelector(".feed-body").innerHTML = html; })
    .catch(function () { section.querySelector(".feed-body").textContent = section.dataset.unavailable; });
});

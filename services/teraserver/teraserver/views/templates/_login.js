// Shared helpers of the login pages (ours): call the API with the session cookie, show answers.
const loginPages = {
  // fetch() with the browser's cookies; resolves to {status, body} where body is the parsed JSON or the text.
  async call(method, url, {params = null, form = null, headers = {}} = {}) {
    if (params) url += (url.includes("?") ? "&" : "?") + new URLSearchParams(params).toString();
    const options = {method, headers: {...headers}, credentials: "same-origin"};
    if (form) {
      options.body = new URLSearchParams(form);
      options.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const response = await fetch(url, options);
    const text = await response.text();
    let body = text;
    try { body = JSON.parse(text); } catch (e) { /* plain text answer */ }
    return {status: response.status, body};
  },
  message(body) {
    if (typeof body === "string") return body;
    if (body && typeof body === "object") {
      if (body.errors) return Object.values(body.errors).join(" ");
      if (body.message) return body.message;
    }
    return "Unexpected answer from the server";
  },
  show(id, text, {html = false} = {}) {
    const element = document.getElementById(id);
    if (html) element.innerHTML = text; else element.textContent = text;
    element.hidden = !text;
  },
  hide(id) { document.getElementById(id).hidden = true; },
  // Same-origin paths only: a redirect_url from the server ("/login_validate_2fa?code=...") or a service's.
  go(url) { window.location.assign(new URL(url, window.location.origin).toString()); },
  // A completed login: the page shows who is logged in; the token stays in this tab for scripts that need it.
  loggedIn(answer) {
    sessionStorage.setItem("opentera_user_token", answer.user_token);
    for (const form of document.querySelectorAll("form")) form.hidden = true;
    loginPages.hide("error");
    loginPages.show("status", "Logged in as " + (answer.user_fullname || answer.user_uuid) + ".");
  },
};

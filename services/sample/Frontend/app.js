// Sample Service front end: plain JavaScript, no build step.
// Logs in against TeraServer (same front door: /api/user/login), then calls this service's API (<prefix>/api/...)
// with the user token, as `Authorization: OpenTera <token>`.
"use strict";

const TERASERVER_LOGIN = "/api/user/login";
const TERASERVER_LOGOUT = "/api/user/logout";
// Relative to the page, so it follows the service's prefix (/sample/ -> /sample/api/).
const SERVICE_API = new URL("api/", document.baseURI);
const STORAGE = window.sessionStorage;

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

async function readableError(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = typeof body === "string" ? body : body.message || JSON.stringify(body);
  } catch {
    detail = response.statusText;
  }
  const meaning = {
    401: "You are not logged in, or your session expired",
    403: "You do not have access to this",
    404: "Not found",
    502: "TeraServer could not be reached",
  }[response.status];
  return meaning ? `${meaning} (${response.status}: ${detail})` : `Error ${response.status}: ${detail}`;
}

async function callService(path, { method = "GET", params, body } = {}) {
  const url = new URL(path, SERVICE_API);
  Object.entries(params || {}).forEach(([key, value]) => url.searchParams.set(key, value));
  const headers = { Authorization: `OpenTera ${STORAGE.getItem("token")}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new ApiError(response.status, await readableError(response));
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// Every action goes through here: errors are shown, an expired session goes back to the login form.
async function run(action) {
  showError("");
  try {
    await action();
  } catch (error) {
    showError(error.message || String(error));
    if (error.status === 401) showLogin();
  }
}

// --- login / logout ------------------------------------------------------------------------------------
async function login(event) {
  event.preventDefault();
  const username = $("username").value;
  const password = $("password").value;
  const response = await fetch(TERASERVER_LOGIN, {
    headers: { Authorization: "Basic " + btoa(unescape(encodeURIComponent(`${username}:${password}`))) },
  });
  if (!response.ok) throw new ApiError(0, `Login refused: ${await readableError(response)}`);
  const answer = await response.json();
  if (!answer.user_token) {
    // e.g. a forced password change or 2FA: TeraServer's own login page handles those steps.
    throw new ApiError(0, `TeraServer needs another step before login (${answer.reason || answer.message}): ` +
      "use TeraServer's login page first.");
  }
  STORAGE.setItem("token", answer.user_token);
  $("password").value = "";
  await showWorkspace();
}

async function logout() {
  const token = STORAGE.getItem("token");
  STORAGE.clear();
  if (token) {
    // TeraServer disables the token; a failure here does not keep anyone logged in locally.
    await fetch(TERASERVER_LOGOUT, { headers: { Authorization: `OpenTera ${token}` } }).catch(() => undefined);
  }
  showLogin();
}

function showLogin() {
  STORAGE.removeItem("token");
  $("session").hidden = true;
  $("workspace").hidden = true;
  $("login-form").hidden = false;
}

// --- workspace -----------------------------------------------------------------------------------------
function pickButton(label, selected, onClick) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-pressed", String(selected));
  button.addEventListener("click", () => run(onClick));
  item.append(button);
  return item;
}

function emptyItem(text) {
  const item = document.createElement("li");
  item.className = "empty";
  item.textContent = text;
  return item;
}

async function showWorkspace() {
  const me = await callService("me");
  $("whoami").textContent = `${me.user_fullname} · ${me.service_role}`;
  $("session").hidden = false;
  $("login-form").hidden = true;
  $("workspace").hidden = false;
  await loadProjects();
}

async function loadProjects() {
  const projects = await callService("projects");
  const selected = Number(STORAGE.getItem("id_project"));
  const list = $("projects");
  list.replaceChildren(...projects.map((project) =>
    pickButton(project.project_name, project.id_project === selected, () => selectProject(project.id_project))));
  if (!projects.length) list.append(emptyItem("No project is linked to this service for you."));
  if (projects.some((project) => project.id_project === selected)) await loadParticipants(selected);
}

async function selectProject(idProject) {
  STORAGE.setItem("id_project", String(idProject));
  STORAGE.removeItem("participant_uuid");
  await loadProjects();
}

async function loadParticipants(idProject) {
  const participants = await callService("participants", { params: { id_project: idProject } });
  const selected = STORAGE.getItem("participant_uuid");
  const list = $("participants");
  list.replaceChildren(...participants.map((participant) =>
    pickButton(participant.participant_name, participant.participant_uuid === selected,
      () => selectParticipant(participant))));
  if (!participants.length) list.append(emptyItem("No participant in this project."));
  const current = participants.find((participant) => participant.participant_uuid === selected);
  if (current) await loadNotes(current);
  else clearNotes();
}

async function selectParticipant(participant) {
  STORAGE.setItem("participant_uuid", participant.participant_uuid);
  await loadParticipants(Number(STORAGE.getItem("id_project")));
}

function clearNotes() {
  $("notes-for").textContent = "";
  $("note-form").hidden = true;
  $("notes").replaceChildren(emptyItem("Choose a participant."));
}

async function loadNotes(participant) {
  const notes = await callService("notes", { params: { participant_uuid: participant.participant_uuid } });
  $("notes-for").textContent = `· ${participant.participant_name}`;
  $("note-form").hidden = false;
  const list = $("notes");
  list.replaceChildren(...notes.map((note) => {
    const item = document.createElement("li");
    item.dataset.idNote = note.id_note;
    const text = document.createElement("div");
    const body = document.createElement("p");
    body.className = "note-text";
    body.textContent = note.note_text;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${note.note_author_name}, ${new Date(note.note_created_at).toLocaleString()}`;
    text.append(body, meta);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "delete";
    remove.textContent = "Delete";
    remove.addEventListener("click", () => run(async () => {
      await callService("notes", { method: "DELETE", params: { id_note: note.id_note } });
      await loadNotes(participant);
    }));
    item.append(text, remove);
    return item;
  }));
  if (!notes.length) list.append(emptyItem("No note yet."));
}

async function addNote(event) {
  event.preventDefault();
  const participantUuid = STORAGE.getItem("participant_uuid");
  const text = $("note-text").value;
  await callService("notes", { method: "POST", body: { note: { participant_uuid: participantUuid, note_text: text } } });
  $("note-text").value = "";
  await loadParticipants(Number(STORAGE.getItem("id_project")));
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => run(() => login(event)));
  $("note-form").addEventListener("submit", (event) => run(() => addNote(event)));
  $("logout").addEventListener("click", () => run(logout));
  if (STORAGE.getItem("token")) run(showWorkspace);
  else showLogin();
});

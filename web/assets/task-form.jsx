// The task form: JSON Schema + UI schema rendered by react-jsonschema-form (rjsf).
// The server validates again with `jsonschema` (engine) and its errors come back next to
// the field (extraErrors). Mounted on <div id="task-form" data-...> by web/templates/inbox/task.html.
import React, { useState } from "react";
import { createRoot } from "react-dom/client";
import Form from "@rjsf/core";
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020";
import { localize } from "./form-es.js";

// Our schemas declare JSON Schema 2020-12, as the server validates them (jsonschema).
const validator = customizeValidator({ AjvClass: Ajv2020 });

function readJson(el, name) {
  const raw = el.dataset[name];
  return raw ? JSON.parse(raw) : undefined;
}

function post(url, body, csrf) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => ({})) }));
}

function errorsFor(field, message) {
  // "a.b" → { a: { b: { __errors: [message] } } }; unknown or top-level → form level
  const out = {};
  let node = out;
  const parts = field && field !== "data" ? field.split(".") : [];
  for (const p of parts) node = node[p] = {};
  node.__errors = [message];
  return out;
}

function TaskForm({ el }) {
  const schema = readJson(el, "schema");
  const uiSchema = readJson(el, "uiSchema") || {};
  const [formData, setFormData] = useState(readJson(el, "draft") || {});
  const [extraErrors, setExtraErrors] = useState({});
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  const csrf = el.dataset.csrf;
  const bulkIds = readJson(el, "bulkIds");
  const startKey = el.dataset.startKey;
  const [results, setResults] = useState(null);

  const saveDraft = async () => {
    setBusy(true);
    const r = await post(el.dataset.draftUrl, { data: formData }, csrf);
    setBusy(false);
    setStatus(r.status === 200
      ? { kind: "ok", text: "Borrador guardado." }
      : { kind: "error", text: r.body.message || "No se pudo guardar el borrador." });
  };

  const submit = async ({ formData: data }) => {
    setBusy(true);
    setExtraErrors({});
    const scope = document.getElementById("ambito");
    const body = bulkIds ? { task_ids: bulkIds, data }
      : startKey ? { key: startKey, data, scope: scope ? scope.value : undefined }
      : { data };
    const r = await post(el.dataset.completeUrl, body, csrf);
    setBusy(false);
    if (startKey && r.status === 201) {
      window.location.assign("/instancias/" + r.body.id);
      return;
    }
    if (bulkIds && r.status === 200) {
      setResults(r.body.results);
      return;
    }
    if (r.status === 200) {
      window.location.assign(el.dataset.doneUrl + "?completada=" + encodeURIComponent(el.dataset.taskName));
      return;
    }
    if (r.status === 422 && r.body.field) setExtraErrors(errorsFor(r.body.field, r.body.message));
    setStatus({ kind: "error", text: r.body.message || "No se pudo completar la tarea." });
  };

  if (results) {
    const done = results.filter((x) => x.ok).length;
    return (
      <div role="status">
        <p className="flash flash-ok">{done} de {results.length} tarea(s) completadas.</p>
        <ul className="bulk-results">
          {results.map((x) => (
            <li key={x.task_id} className={x.ok ? "ok" : "refused"}>
              Tarea N° {x.task_id}: {x.ok ? "completada" : "rechazada — " + x.message}
            </li>
          ))}
        </ul>
        <a href={el.dataset.doneUrl}>Volver a la bandeja</a>
      </div>
    );
  }

  return (
    <>
      {status && <p className={"flash flash-" + status.kind} role={status.kind === "error" ? "alert" : "status"}>{status.text}</p>}
      <Form
        schema={schema}
        uiSchema={{ ...uiSchema, "ui:submitButtonOptions": { submitText: "Completar tarea", props: { disabled: busy } } }}
        formData={formData}
        validator={validator}
        transformErrors={localize}
        extraErrors={extraErrors}
        showErrorList={false}
        noHtml5Validate
        onChange={(e) => setFormData(e.formData)}
        onSubmit={submit}
      >
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>{bulkIds ? `Completar ${bulkIds.length} tarea(s)` : startKey ? "Iniciar" : "Completar tarea"}</button>
          {el.dataset.draftUrl && !startKey && <button type="button" onClick={saveDraft} disabled={busy}>Guardar borrador</button>}
        </div>
      </Form>
    </>
  );
}

const el = document.getElementById("task-form");
if (el) createRoot(el).render(<TaskForm el={el} />);

// The process owner's modeler: bpmn-js Modeler + bpmn-js-properties-panel, the
// `spiffworkflow:` extension elements described by our own moddle descriptor, and the
// JUNTOS pickers (lane → cargo, user task → form, service task → operation and its
// parameters, due dates, scripts: script task, pre/post scripts, flow conditions). Forms
// edited in the form editor (form-preview.jsx, "juntos:form-edited" events) travel with the
// draft. Non-owners get the viewer. Mounted on <div id="modeler" data-…>.
import BpmnModeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import spiffworkflow from "./spiffworkflow-moddle.json";

const root = document.getElementById("modeler");
const data = (name) => JSON.parse(root.dataset[name] || "null");
const catalog = data("catalog");
const editable = root.dataset.editable === "true";
const csrf = root.dataset.csrf;
const $ = (sel) => document.querySelector(sel);
// The forms this draft changes or adds (name → schema), and those whose text is not JSON.
const edited = {};
for (const name of data("draftForms") || []) edited[name] = catalog.forms[name];
const unparsable = new Set();
const FORM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*\.json$/;

const modeler = editable
  ? new BpmnModeler({
      container: "#canvas",
      propertiesPanel: { parent: "#properties" },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule],
      moddleExtensions: { spiffworkflow },
    })
  : new NavigatedViewer({ container: "#canvas", moddleExtensions: { spiffworkflow } });
window.juntosModeler = modeler;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function say(kind, text) {
  const box = $("#modeler-status");
  box.className = "flash flash-" + kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = text;
}

async function call(url, body) {
  const r = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body || {}),
  });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

// -- spiffworkflow: extension elements -----------------------------------------------------

const moddle = () => modeler.get("moddle");
const bo = (element) => element.businessObject.processRef || element.businessObject;

function extension(obj, type, create) {
  if (!obj.extensionElements) {
    if (!create) return null;
    obj.extensionElements = moddle().create("bpmn:ExtensionElements", { values: [] });
    obj.extensionElements.$parent = obj;
  }
  let found = obj.extensionElements.values.find((v) => v.$type === type);
  if (!found && create) {
    found = moddle().create(type, {});
    found.$parent = obj.extensionElements;
    obj.extensionElements.values.push(found);
  }
  return found || null;
}

function getProp(obj, name) {
  const props = extension(obj, "spiffworkflow:Properties", false);
  const p = props && (props.properties || []).find((x) => x.name === name);
  return p ? p.value : "";
}

function setProp(obj, name, value) {
  const props = extension(obj, "spiffworkflow:Properties", true);
  props.properties = props.properties || [];
  const i = props.properties.findIndex((x) => x.name === name);
  if (!value) {
    if (i >= 0) props.properties.splice(i, 1);
  } else if (i >= 0) {
    props.properties[i].value = value;
  } else {
    const p = moddle().create("spiffworkflow:Property", { name, value });
    p.$parent = props;
    props.properties.push(p);
  }
  changed();
}

function setOperator(obj, opName, params, resultVariable) {
  const op = extension(obj, "spiffworkflow:ServiceTaskOperator", true);
  op.id = opName;
  op.resultVariable = resultVariable || undefined;
  const list = moddle().create("spiffworkflow:Parameters", { parameters: [] });
  list.$parent = op;
  for (const [id, value] of Object.entries(params)) {
    if (value === "") continue;
    const p = moddle().create("spiffworkflow:Parameter", { id, type: "any", value });
    p.$parent = list;
    list.parameters.push(p);
  }
  op.parameterList = list;
  changed();
}

function operatorOf(obj) {
  const op = extension(obj, "spiffworkflow:ServiceTaskOperator", false);
  const params = {};
  for (const p of (op && op.parameterList && op.parameterList.parameters) || []) params[p.id] = p.value;
  return { name: op ? op.id : "", params, result: op ? op.resultVariable || "" : "" };
}

function getBody(obj, type) {
  const ext = extension(obj, type, false);
  return ext ? ext.value || "" : "";
}

function setBody(obj, type, value) {
  const ext = extension(obj, type, Boolean(value));
  if (!ext) return;
  if (value) {
    ext.value = value;
  } else {
    const values = obj.extensionElements.values;
    values.splice(values.indexOf(ext), 1);
  }
  changed();
}

let selected = null;
function changed() {
  if (selected) modeler.get("eventBus").fire("elements.changed", { elements: [selected] });
  dirty = true;
}

// -- the JUNTOS pickers ---------------------------------------------------------------------

function field(label, control) {
  const id = "jp-" + label.replace(/\W+/g, "-").toLowerCase();
  control.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, label), control);
}

function select(options, value, onchange, empty = "(ninguno)") {
  const s = el("select", { onchange: (e) => onchange(e.target.value) }, el("option", { value: "" }, empty));
  for (const o of options) {
    const opt = el("option", { value: o }, o);
    if (o === value) opt.selected = true;
    s.append(opt);
  }
  return s;
}

function text(value, onchange, attrs = {}) {
  return el("input", { type: "text", value: value || "", onchange: (e) => onchange(e.target.value.trim()), ...attrs });
}

function processFields(obj) {
  return [
    field("Propietario (cargo)", select(catalog.positions, getProp(obj, "owner"), (v) => setProp(obj, "owner", v))),
    field("Quién inicia (cargos separados por ;)", text(getProp(obj, "starters"), (v) => setProp(obj, "starters", v))),
    field("Plazo por defecto (ISO 8601)", text(getProp(obj, "default_due"), (v) => setProp(obj, "default_due", v), { placeholder: "P5D" })),
  ];
}

function humanTaskFields(obj) {
  const preview = el("p", { class: "small muted" });
  const showForm = (name) => {
    const schema = catalog.forms[name];
    preview.textContent = schema ? `${Object.keys(schema.properties || {}).length} campo(s); vea el editor debajo del diagrama.` : "";
    window.dispatchEvent(new CustomEvent("juntos:form", { detail: { name, schema } }));
  };
  showForm(getProp(obj, "formJsonSchemaFilename"));
  const newName = text("", () => {}, { placeholder: "nuevo.schema.json" });
  const create = el("button", { type: "button", onclick: () => {
    const name = newName.value.trim();
    if (!FORM_NAME.test(name)) return say("error", "Nombre de formulario no válido: letras, números, '-', '_' y puntos, terminado en .json.");
    if (catalog.forms[name]) return say("error", `Ya existe el formulario ${name}.`);
    const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", title: name, type: "object", properties: {} };
    catalog.forms[name] = edited[name] = schema;
    setProp(obj, "formJsonSchemaFilename", name);
    showPickers(selected);
    say("ok", `Formulario ${name} creado: añada sus campos en el editor y guarde el borrador.`);
  } }, "Crear formulario");
  return [
    field("Formulario (forms/)", select(Object.keys(catalog.forms), getProp(obj, "formJsonSchemaFilename"), (v) => {
      setProp(obj, "formJsonSchemaFilename", v);
      showForm(v);
    })),
    preview,
    field("Formulario nuevo (nombre de archivo)", newName),
    create,
    field("Plazo (ISO 8601)", text(getProp(obj, "due"), (v) => setProp(obj, "due", v), { placeholder: "P3D" })),
    field("Prioridad", text(getProp(obj, "priority"), (v) => setProp(obj, "priority", v))),
  ];
}

function code(value, onchange, rows = "4") {
  const area = el("textarea", { rows, spellcheck: "false", class: "code", onchange: (e) => onchange(e.target.value.trim()) });
  area.value = value || "";
  return area;
}

// spiffworkflow:preScript / postScript: run before the task starts and after it completes
function prePostFields(obj) {
  return [
    field("Script previo (preScript)", code(getBody(obj, "spiffworkflow:PreScript"), (v) => setBody(obj, "spiffworkflow:PreScript", v))),
    field("Script posterior (postScript)", code(getBody(obj, "spiffworkflow:PostScript"), (v) => setBody(obj, "spiffworkflow:PostScript", v))),
  ];
}

function conditionFields(element) {
  const obj = element.businessObject;
  const source = obj.sourceRef;
  if (source && source.default === obj) {
    return [el("p", { class: "muted" }, "Flujo por defecto de la compuerta: se toma cuando ninguna condición se cumple.")];
  }
  const gateway = source && /Gateway$/.test(source.$type) && source.$type !== "bpmn:ParallelGateway";
  if (!gateway && !obj.conditionExpression) {
    return [el("p", { class: "muted" }, "Este flujo no sale de una compuerta exclusiva o inclusiva: no lleva condición.")];
  }
  const current = obj.conditionExpression ? obj.conditionExpression.body || "" : "";
  return [field("Condición (expresión Python del sandbox)", code(current, (v) => {
    const expression = v ? modeler.get("bpmnFactory").create("bpmn:FormalExpression", { body: v }) : undefined;
    modeler.get("modeling").updateProperties(element, { conditionExpression: expression });
  }, "3"))];
}

function serviceTaskFields(obj) {
  const current = operatorOf(obj);
  const box = el("div", { class: "params" });
  const paramsFor = (name) => {
    box.replaceChildren();
    const op = catalog.operations[name];
    if (!op) return;
    box.append(el("p", { class: "muted small" }, op.description || ""));
    const values = { ...current.params };
    const required = op.params_schema.required || [];
    for (const p of Object.keys(op.params_schema.properties || {})) {
      box.append(field(`Parámetro ${p}${required.includes(p) ? " *" : ""}`, text(values[p], (v) => {
        values[p] = v;
        current.params = values;
        setOperator(obj, name, values, current.result);
      })));
    }
  };
  paramsFor(current.name);
  return [
    field("Operación", select(Object.keys(catalog.operations), current.name, (v) => {
      current.name = v;
      current.params = {};
      setOperator(obj, v, {}, current.result);
      paramsFor(v);
    })),
    field("Variable del resultado", text(current.result, (v) => {
      current.result = v;
      setOperator(obj, current.name, current.params, v);
    })),
    box,
  ];
}

function scriptFields(element) {
  const obj = element.businessObject;
  return [field("Script (Python del sandbox)", code(obj.script, (v) => {
    modeler.get("modeling").updateProperties(element, { script: v || undefined, scriptFormat: obj.scriptFormat || "python" });
  }, "8"))];
}

function pickersFor(element) {
  const obj = bo(element);
  const type = element.businessObject.$type;
  if (type === "bpmn:Lane") {
    return [field("Cargo del carril (denominación)", select(catalog.positions, obj.name, (v) => {
      modeler.get("modeling").updateProperties(element, { name: v });
    }))];
  }
  if (type === "bpmn:Process" || type === "bpmn:Participant") return processFields(obj);
  if (type === "bpmn:UserTask" || type === "bpmn:ManualTask") return [...humanTaskFields(obj), ...prePostFields(obj)];
  if (type === "bpmn:ServiceTask") return [...serviceTaskFields(obj), ...prePostFields(obj)];
  if (type === "bpmn:ScriptTask") return [...scriptFields(element), ...prePostFields(obj)];
  if (type === "bpmn:SequenceFlow") return conditionFields(element);
  return [el("p", { class: "muted" }, "Este elemento no tiene propiedades de JUNTOS.")];
}

function showPickers(element) {
  selected = element;
  const box = $("#juntos-props");
  box.replaceChildren(el("h3", {}, "Propiedades JUNTOS"));
  if (!element) return;
  box.append(el("p", { class: "small muted" }, `${element.businessObject.$type.replace("bpmn:", "")} · ${element.id}`));
  box.append(...pickersFor(element));
}

// -- toolbar ---------------------------------------------------------------------------------

let dirty = false;
let marked = [];
function highlight(problems) {
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  for (const id of marked) canvas.removeMarker(id, "juntos-problem");
  marked = problems.map((p) => p.element_id).filter((id) => id && registry.get(id));
  for (const id of marked) canvas.addMarker(id, "juntos-problem");
}

function listProblems(problems) {
  const out = $("#problems");
  out.replaceChildren();
  const registry = modeler.get("elementRegistry");
  for (const p of problems) {
    const target = p.element_id && registry.get(p.element_id);
    const name = target
      ? el("a", { href: "#canvas", onclick: (e) => { e.preventDefault(); modeler.get("selection").select(target); } }, p.element_id)
      : el("strong", {}, p.element_id || p.where);
    out.append(el("li", { "data-element": p.element_id || "" }, name, " — " + p.message));
  }
  highlight(problems);
}

function showDiff(d) {
  const out = $("#diff");
  out.replaceChildren();
  if (d.empty) {
    out.append(el("p", {}, "Sin cambios respecto de la versión publicada."));
    return;
  }
  const section = (title, items, render) => {
    if (!items.length) return;
    out.append(el("h4", {}, title), el("ul", {}, ...items.map((i) => el("li", {}, ...render(i)))));
  };
  const label = (i) => `${i.name || "(sin nombre)"} (${i.id})`;
  section("Añadidos", d.added, (i) => [label(i)]);
  section("Eliminados", d.removed, (i) => [label(i)]);
  const change = (f) => f.field === "form"
    ? `${f.label}: cambió (vea Formularios)`
    : `${f.label}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`;
  section("Modificados", d.changed, (i) => [
    label(i),
    el("ul", {}, ...i.fields.map((f) => el("li", {}, change(f)))),
  ]);
  const list = (title, names) => (names.length ? [el("li", {}, `${title}: ${names.join(", ")}`)] : []);
  section("Formularios", d.forms || [], (f) => [
    `${f.name} (${f.status})`,
    el("ul", {}, ...list("campos añadidos", f.added), ...list("campos quitados", f.removed),
      ...list("campos modificados", f.changed), ...list("otras claves", f.other)),
  ]);
}

window.addEventListener("juntos:form-edited", (e) => {
  const { name, schema } = e.detail;
  if (!name) return;
  if (schema === null) {
    unparsable.add(name);
  } else {
    unparsable.delete(name);
    catalog.forms[name] = edited[name] = schema;
  }
  dirty = true;
});

// The diagram and the edited forms, or null (and a message) while a form is not JSON.
async function draft() {
  if (unparsable.size) {
    say("error", `El formulario ${[...unparsable].join(", ")} no es JSON válido: corríjalo antes de continuar.`);
    return null;
  }
  return { xml: await currentXml(), forms: edited };
}

const urls = root.dataset;
const actions = {
  async validar() {
    const body = await draft();
    if (!body) return;
    const r = await call(urls.validateUrl, body);
    listProblems(r.body.problems || []);
    if (r.status !== 200) return say("error", r.body.message || "No se pudo validar.");
    say(r.body.problems.length ? "error" : "ok",
      r.body.problems.length ? `${r.body.problems.length} problema(s) encontrados.` : "El diagrama es válido.");
  },
  async guardar() {
    const body = await draft();
    if (!body) return false;
    const r = await call(urls.draftUrl, body);
    if (r.status === 200) dirty = false;
    const forms = r.status === 200 && r.body.forms.length ? ` con ${r.body.forms.length} formulario(s) editado(s): ${r.body.forms.join(", ")}` : "";
    say(r.status === 200 ? "ok" : "error", r.status === 200 ? `Borrador guardado${forms}.` : r.body.message);
    return r.status === 200;
  },
  async comparar() {
    const body = await draft();
    if (!body) return;
    const r = await call(urls.diffUrl, body);
    if (r.status !== 200) return say("error", r.body.message || "No se pudo comparar.");
    showDiff(r.body);
    say("ok", "Cambios respecto de la versión publicada.");
  },
  async publicar() {
    if (!(await actions.guardar())) return;
    const r = await call(urls.publishUrl, {});
    if (r.status === 200) return say("ok", `Publicada la versión ${r.body.version}.`);
    listProblems(r.body.problems || []);
    say("error", r.body.message || "No se pudo publicar.");
  },
  async revertir() {
    const version = Number($("#rollback-version").value);
    if (!version) return say("error", "Elija una versión.");
    const r = await call(urls.rollbackUrl, { version });
    say(r.status === 200 ? "ok" : "error", r.status === 200 ? `Publicada la versión ${r.body.version} (copia de la ${version}).` : r.body.message);
  },
};

for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await actions[button.dataset.action]();
    } finally {
      button.disabled = false;
    }
  });
}

async function load() {
  const r = await fetch(urls.xmlUrl, { credentials: "same-origin" });
  await modeler.importXML(await r.text());
  modeler.get("canvas").zoom("fit-viewport");
  if (editable) {
    modeler.get("eventBus").on("selection.changed", (e) => showPickers(e.newSelection[0] || null));
    modeler.get("eventBus").on("commandStack.changed", () => { dirty = true; });
    const process = modeler.get("canvas").getRootElement();
    showPickers(process);
  }
  root.dataset.loaded = "true";
}
window.addEventListener("beforeunload", (e) => { if (dirty) e.preventDefault(); });
load().catch((err) => say("error", "No se pudo abrir el diagrama: " + err.message));

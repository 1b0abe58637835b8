// The process owner's modeler: bpmn-js Modeler + bpmn-js-properties-panel, the
// `spiffworkflow:` extension elements described by our own moddle descriptor, and the
// JUNTOS pickers (lane → cargo, user task → form, service task → operation and its
// parameters, due dates). Non-owners get the viewer. Mounted on <div id="modeler" data-…>.
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
  return [
    field("Formulario (forms/)", select(Object.keys(catalog.forms), getProp(obj, "formJsonSchemaFilename"), (v) => {
      setProp(obj, "formJsonSchemaFilename", v);
      showForm(v);
    })),
    field("Plazo (ISO 8601)", text(getProp(obj, "due"), (v) => setProp(obj, "due", v), { placeholder: "P3D" })),
    field("Prioridad", text(getProp(obj, "priority"), (v) => setProp(obj, "priority", v))),
    preview,
  ];
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

function scriptFields(obj) {
  const area = el("textarea", { rows: "6", onchange: (e) => { obj.script = e.target.value; changed(); } });
  area.value = obj.script || "";
  return [field("Script (Python del sandbox)", area)];
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
  if (type === "bpmn:UserTask" || type === "bpmn:ManualTask") return humanTaskFields(obj);
  if (type === "bpmn:ServiceTask") return serviceTaskFields(obj);
  if (type === "bpmn:ScriptTask") return scriptFields(obj);
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
  for (const p of problems) {
    out.append(el("li", { "data-element": p.element_id || "" }, el("strong", {}, p.element_id || p.where), " — " + p.message));
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
  section("Modificados", d.changed, (i) => [
    label(i),
    el("ul", {}, ...i.fields.map((f) => el("li", {}, `${f.label}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`))),
  ]);
}

const urls = root.dataset;
const actions = {
  async validar() {
    const r = await call(urls.validateUrl, { xml: await currentXml() });
    listProblems(r.body.problems || []);
    if (r.status !== 200) return say("error", r.body.message || "No se pudo validar.");
    say(r.body.problems.length ? "error" : "ok",
      r.body.problems.length ? `${r.body.problems.length} problema(s) encontrados.` : "El diagrama es válido.");
  },
  async guardar() {
    const r = await call(urls.draftUrl, { xml: await currentXml() });
    if (r.status === 200) dirty = false;
    say(r.status === 200 ? "ok" : "error", r.status === 200 ? "Borrador guardado." : r.body.message);
  },
  async comparar() {
    const r = await call(urls.diffUrl, { xml: await currentXml() });
    if (r.status !== 200) return say("error", r.body.message || "No se pudo comparar.");
    showDiff(r.body);
    say("ok", "Cambios respecto de la versión publicada.");
  },
  async publicar() {
    await actions.guardar();
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

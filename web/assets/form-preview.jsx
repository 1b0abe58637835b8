// The modeler's form editor: a JSON Schema in a textarea and its live rjsf preview, as the
// task page will render it. The modeler sends the selected user task's form with the
// "juntos:form" event; every edit goes back with "juntos:form-edited" ({name, schema}, schema
// null while the text is not JSON), and the modeler saves it with the draft.
import React, { useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import Form from "@rjsf/core";
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020";
import { localize } from "./form-es.js";

const validator = customizeValidator({ AjvClass: Ajv2020 });

// A schema rjsf cannot draw must not take the editor down with it.
class Preview extends React.Component {
  constructor(props) {
    super(props);
    this.state = { failed: "" };
  }

  static getDerivedStateFromError(exc) {
    return { failed: exc.message || String(exc) };
  }

  render() {
    if (this.state.failed) return <p className="error">La vista previa no puede mostrar este esquema: {this.state.failed}</p>;
    return this.props.children;
  }
}

function FormEditor() {
  const [name, setName] = useState("");
  const [text, setText] = useState("");
  const [schema, setSchema] = useState(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const listener = (e) => {
      setName(e.detail.name || "");
      const value = e.detail.schema ? JSON.stringify(e.detail.schema, null, 2) : "";
      setText(value);
      setSchema(e.detail.schema || null);
      setError("");
    };
    window.addEventListener("juntos:form", listener);
    return () => window.removeEventListener("juntos:form", listener);
  }, []);

  const edit = (value) => {
    setText(value);
    let parsed = null;
    try {
      parsed = JSON.parse(value);
      const isObject = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed);
      setSchema(isObject ? parsed : null);
      setError(isObject ? "" : "El esquema debe ser un objeto JSON.");
    } catch (exc) {
      setError("JSON no válido: " + exc.message);
    }
    window.dispatchEvent(new CustomEvent("juntos:form-edited", { detail: { name, schema: parsed } }));
  };

  if (!name) return <p className="muted">Seleccione una tarea de usuario con formulario.</p>;
  return (
    <div className="form-editor-grid">
      <div>
        <label htmlFor="schema-text">Esquema JSON de {name}</label>
        <textarea id="schema-text" rows="18" value={text} onChange={(e) => edit(e.target.value)} />
        {error && <p className="error" role="alert">{error}</p>}
      </div>
      <div aria-label="Vista previa del formulario" data-form-preview>
        {schema && !error && (
          <Preview key={text}>
            <Form schema={schema} validator={validator} transformErrors={localize} noHtml5Validate>
              <p className="muted small">Vista previa: así verá el formulario quien realice la tarea.</p>
            </Form>
          </Preview>
        )}
      </div>
    </div>
  );
}

const el = document.getElementById("form-editor");
if (el) createRoot(el).render(<FormEditor />);

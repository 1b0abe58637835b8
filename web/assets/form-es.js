// Spanish messages for the browser-side checks (the server's own messages are Spanish too).
const MESSAGES = {
  required: () => "Este campo es obligatorio.",
  maxLength: (p) => `Admite hasta ${p.limit} caracteres.`,
  minLength: (p) => `Necesita al menos ${p.limit} caracteres.`,
  minimum: (p) => `Debe ser mayor o igual que ${p.limit}.`,
  maximum: (p) => `Debe ser menor o igual que ${p.limit}.`,
  pattern: () => "El formato no es válido.",
  format: (p) => (p.format === "date" ? "Use una fecha válida (dd/mm/aaaa)." : "El formato no es válido."),
  enum: () => "Elija una de las opciones.",
  type: () => "El valor no es del tipo esperado.",
};

export function localize(errors) {
  return errors.map((e) => {
    const make = MESSAGES[e.name];
    return make ? { ...e, message: make(e.params || {}), stack: make(e.params || {}) } : e;
  });
}

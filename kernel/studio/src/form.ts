// A form generated from a command's input JSON Schema (the OpenRPC params of rpc.discover): one field
// per property with its description, default, enum (a select), bounds (min/max on number inputs) and
// required mark; objects, arrays and unions are edited as JSON text.
import { h } from "./dom";

export type Schema = Record<string, any>;

export interface Param {
  name: string;
  required: boolean;
  description?: string;
  schema: Schema;
}

/** Resolve `#/components/schemas/X` refs and a nullable `anyOf: [T, null]` to T. */
export function resolve(schema: Schema, defs: Record<string, Schema>): Schema {
  let s = schema;
  for (let i = 0; i < 10 && s && s.$ref; i++) s = defs[String(s.$ref).split("/").pop()!] ?? {};
  const options = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (options) {
    const real = options.filter((o) => o.type !== "null");
    if (real.length === 1) return { ...resolve(real[0], defs), default: s.default, description: s.description, nullable: true };
  }
  return s;
}

interface Field {
  name: string;
  read: () => unknown; // undefined: leave the field out
}

/** Build the form; `submit` gets the params object. */
export function schemaForm(params: Param[], defs: Record<string, Schema>, submit: (p: Record<string, unknown>) => void,
                           label = "Invoke"): HTMLFormElement {
  const fields: Field[] = [];
  const form = h("form", { class: "schema-form" });
  for (const p of params) {
    const s = resolve(p.schema, defs);
    const id = `f-${p.name}`;
    const desc = p.description ?? s.description ?? "";
    const bounds = [s.minimum !== undefined ? `≥ ${s.minimum}` : "", s.maximum !== undefined ? `≤ ${s.maximum}` : ""]
      .filter(Boolean).join(", ");
    let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    let read: () => unknown;
    if (Array.isArray(s.enum)) {
      const select = h("select", { id, name: p.name });
      if (!p.required) select.append(h("option", { value: "" }, "(default)"));
      for (const v of s.enum) select.append(h("option", { value: String(v), selected: v === s.default }, String(v)));
      input = select;
      read = () => (select.value === "" ? undefined : s.enum.find((v: unknown) => String(v) === select.value));
    } else if (s.type === "boolean") {
      const box = h("input", { id, name: p.name, type: "checkbox", checked: s.default === true });
      input = box;
      read = () => (box.checked === (s.default === true) && !p.required ? undefined : box.checked);
    } else if (s.type === "integer" || s.type === "number") {
      const num = h("input", { id, name: p.name, type: "number", step: s.type === "integer" ? 1 : "any",
        min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum,
        placeholder: s.default !== undefined && s.default !== null ? String(s.default) : "", required: p.required });
      input = num;
      read = () => (num.value === "" ? undefined : Number(num.value));
    } else if (s.type === "string") {
      const text = h("input", { id, name: p.name, type: "text", required: p.required,
        placeholder: s.default !== undefined && s.default !== null ? String(s.default) : "",
        minlength: s.minLength, maxlength: s.maxLength });
      input = text;
      read = () => (text.value === "" ? undefined : text.value);
    } else {
      const area = h("textarea", { id, name: p.name, rows: 3, placeholder: s.default !== undefined ? JSON.stringify(s.default) : "JSON",
        required: p.required });
      input = area;
      read = () => {
        if (area.value.trim() === "") return undefined;
        try {
          return JSON.parse(area.value);
        } catch {
          if (s.type === "array" && (s.items?.type === "string")) return area.value.split("\n").filter(Boolean);
          throw new Error(`${p.name}: not valid JSON`);
        }
      };
    }
    fields.push({ name: p.name, read });
    form.append(h("div", { class: "field" },
      h("label", { for: id }, p.name, p.required ? h("span", { class: "req", title: "required" }, " *") : null),
      input,
      h("small", {}, desc, s.type ? ` (${s.type}${bounds ? ", " + bounds : ""}${s.default !== undefined && s.default !== null ? ", default " + JSON.stringify(s.default) : ""})` : "")));
  }
  form.append(h("button", { type: "submit", class: "primary" }, label));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const out: Record<string, unknown> = {};
    try {
      for (const f of fields) {
        const v = f.read();
        if (v !== undefined) out[f.name] = v;
      }
    } catch (err) {
      form.dispatchEvent(new CustomEvent("form-error", { detail: String((err as Error).message) }));
      return;
    }
    submit(out);
  });
  return form;
}

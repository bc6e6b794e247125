// Toasts and small dialogs (confirm, form, pick, info), built with dom.js: no markup parsing.

import { $, fill, h, icon } from "./dom.js";

export function toast(text, { kind = "error", timeout = 6000 } = {}) {
  const el = h("div", { class: `toast ${kind}`, role: "alert", "data-testid": "toast" }, text,
    h("button", { type: "button", class: "icon", "aria-label": "Dismiss", onclick: () => el.remove() }, icon("close")));
  $("#toasts").append(el);
  setTimeout(() => el.remove(), timeout);
  return el;
}

function show(title, content, buttons) {
  const dialog = $("#dialog");
  return new Promise((resolve) => {
    let result = null;
    const form = h("form", { method: "dialog", class: "dialog-form" },
      h("h2", {}, title), content,
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "dialog-buttons" }, buttons.map((b) => h("button", {
        type: b.submit ? "submit" : "button", class: b.primary ? "primary" : b.danger ? "danger" : "",
        "data-testid": b.testid, onclick: b.submit ? null : () => {
          result = b.value;
          dialog.close();
        },
      }, b.label))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const bad = [...form.querySelectorAll("[required]")].find((input) => !input.value.trim());
      if (bad) {
        form.querySelector(".form-error").textContent = "Please fill in the required fields.";
        bad.focus();
        return;
      }
      result = buttons.find((b) => b.submit)?.collect?.(form) ?? true;
      dialog.close();
    });
    dialog.addEventListener("close", () => resolve(result), { once: true });
    fill(dialog, form);
    dialog.showModal();
    const first = form.querySelector("input, select, textarea, button.primary");
    if (first) first.focus();
  });
}

export const openDialog = {
  confirm(question, action = "OK") {
    return show(question, null, [
      { label: "Cancel", value: false },
      { label: action, submit: true, danger: true, testid: "confirm" },
    ]).then(Boolean);
  },

  info(title, content) {
    return show(title, h("div", {}, content), [{ label: "Close", submit: true, primary: true }]);
  },

  /** fields: [{name, label, type?, value?, required?, options?, placeholder?, testid?}] */
  form(title, fields, action, extraButtons = []) {
    const content = h("div", { class: "fields" }, fields.map((f) => {
      let input;
      if (f.type === "select") {
        input = h("select", { name: f.name, "data-testid": f.testid },
          f.options.map(([value, label]) => h("option", { value, selected: value === f.value }, label)));
      } else if (f.type === "checkbox") {
        return h("label", { class: "check" }, h("input", { type: "checkbox", name: f.name, "data-testid": f.testid }), ` ${f.label}`);
      } else {
        input = h("input", { name: f.name, value: f.value || "", required: f.required, placeholder: f.placeholder, "data-testid": f.testid, autocomplete: "off" });
      }
      return h("label", {}, f.label, input);
    }));
    const collect = (form) => Object.fromEntries(fields.map((f) => {
      const el = form.elements[f.name];
      return [f.name, f.type === "checkbox" ? el.checked : el.value];
    }));
    return show(title, content, [
      ...extraButtons.map((b) => ({ ...b, danger: true })),
      { label: "Cancel", value: null },
      { label: action, submit: true, primary: true, collect, testid: "dialog-submit" },
    ]);
  },

  /** options: [{value, label}]; resolves to the chosen value or null. */
  pick(title, options) {
    const dialog = $("#dialog");
    const list = h("ul", { class: "pick-list" }, options.length
      ? options.map((o) => h("li", {}, h("button", { type: "button", class: "pick", "data-testid": "pick", onclick: () => {
        dialog.returnValue = "";
        pickResult = o.value;
        dialog.close();
      } }, o.label)))
      : h("li", { class: "muted" }, "Nobody else is here yet."));
    let pickResult = null;
    return show(title, list, [{ label: "Cancel", value: null }]).then(() => pickResult);
  },
};

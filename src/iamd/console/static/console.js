// iamd console: copy buttons and the add-user wizard's steps. Pages work without it.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// A form with [data-wizard] shows one fieldset.step at a time with Next/Previous.
for (const form of document.querySelectorAll("form[data-wizard]")) {
  const steps = Array.from(form.querySelectorAll(".step"));
  if (steps.length < 2) continue;
  let current = 0;
  const show = (index) => {
    steps.forEach((step, i) => { step.hidden = i !== index; });
    current = index;
    const heading = steps[index].querySelector("legend");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
    form.querySelectorAll("[data-final]").forEach((b) => { b.hidden = index !== steps.length - 1; });
    const review = form.querySelector("[data-review]");
    if (review && index === steps.length - 1) {
      review.textContent = "";
      // What will be sent, in the words of the labels; never a password.
      for (const el of form.elements) {
        if (!el.name || ["hidden", "password", "submit", "button", "search"].includes(el.type)) continue;
        if (el.closest("[hidden]:not(.step):not(tr)")) continue;
        const choice = el.type === "checkbox" || el.type === "radio";
        if ((choice && !el.checked) || !el.value) continue;
        const label = el.labels && el.labels.length ? el.labels[0].textContent.trim() : el.name;
        const group = el.closest("[data-review-as]");
        const row = document.createElement("li");
        if (choice) row.textContent = group ? `${group.dataset.reviewAs}: ${label}` : label;
        else if (el.tagName === "SELECT") row.textContent = `${label}: ${el.selectedOptions[0].textContent}`;
        else row.textContent = `${label}: ${el.value}`;
        review.appendChild(row);
      }
    }
  };
  steps.forEach((step, i) => {
    const nav = document.createElement("div");
    nav.className = "actions";
    if (i > 0) {
      const back = document.createElement("button");
      back.type = "button"; back.textContent = "Previous";
      back.addEventListener("click", () => show(i - 1));
      nav.appendChild(back);
    }
    if (i < steps.length - 1) {
      const next = document.createElement("button");
      next.type = "button"; next.className = "primary"; next.textContent = "Next";
      next.addEventListener("click", () => {
        const invalid = Array.from(step.querySelectorAll("input, select, textarea")).find((f) => !f.checkValidity());
        if (invalid) { invalid.reportValidity(); return; }
        show(i + 1);
      });
      nav.appendChild(next);
    }
    step.appendChild(nav);
  });
  show(0);
}

// Show/hide fields that depend on a checkbox or radio: [data-shows="id"].
for (const toggle of document.querySelectorAll("[data-shows]")) {
  const target = document.getElementById(toggle.dataset.shows);
  if (!target) continue;
  const group = toggle.name ? document.querySelectorAll(`[name="${toggle.name}"]`) : [toggle];
  const update = () => { target.hidden = !toggle.checked; };
  group.forEach((el) => el.addEventListener("change", update));
  update();
}

// The add-user wizard: "Previous" sits in the same row as "Cancel" and "Create user".
for (const form of document.querySelectorAll("form[data-wizard]")) {
  const final = form.querySelector("[data-final]");
  const steps = form.querySelectorAll(".step");
  const nav = steps.length > 1 ? steps[steps.length - 1].lastElementChild : null;
  if (final && nav && nav.classList.contains("actions") && nav !== final.parentElement) {
    final.parentElement.prepend(...nav.children);
    nav.remove();
  }
}

// A [data-filter] input hides rows whose data-name lacks what was typed: the
// rows of the table whose id it names, or else those of its [data-filter-scope].
for (const input of document.querySelectorAll("[data-filter]")) {
  const table = input.dataset.filter ? document.getElementById(input.dataset.filter) : null;
  const scope = table || input.closest("[data-filter-scope]");
  if (!scope) continue;
  const rows = () => scope.querySelectorAll(table ? "tbody tr[data-name]" : "[data-name]");
  input.addEventListener("input", () => {
    const needle = input.value.trim().toLowerCase();
    for (const row of rows()) {
      row.hidden = needle !== "" && !row.dataset.name.includes(needle);
    }
  });
}

// A checkbox with [data-check-all="container-id"] checks or clears every checkbox inside it.
for (const all of document.querySelectorAll("[data-check-all]")) {
  const box = document.getElementById(all.dataset.checkAll);
  if (!box) continue;
  all.addEventListener("change", () => {
    box.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = all.checked; });
  });
}

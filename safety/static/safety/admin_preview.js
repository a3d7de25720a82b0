// Rule set preview: POST the unsaved change form, show how many grids each colour would have.
(() => {
  const button = document.getElementById("safety-preview");
  if (!button) return;
  const result = document.getElementById("safety-preview-result");
  const list = document.getElementById("safety-preview-changes");
  button.addEventListener("click", async () => {
    const form = button.closest("form");
    result.textContent = "…";
    list.replaceChildren();
    const answer = await fetch(button.dataset.url, {method: "POST", body: new FormData(form), credentials: "same-origin"});
    const body = await answer.json();
    result.textContent = body.summary || body.detail || "";
    result.dataset.status = String(answer.status);
    for (const c of body.changes || []) {
      const li = document.createElement("li");
      li.textContent = `${c.name} (${c.code}): ${c.from || "—"} → ${c.to} (${c.rate})`;
      list.append(li);
    }
  });
})();

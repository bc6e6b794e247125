// /api/docs: Swagger UI (vendored in swagger-ui/) on /api/openapi.json.
"use strict";

// The filter box searches more than tag names: every word typed must appear in an operation's
// tag, method, path, summary or operation id. Tags left with no operation are hidden.
function searchOperations(taggedOps, phrase) {
  const words = String(phrase || "").toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return taggedOps;
  return taggedOps
    .map((tag, name) => {
      const tagText = `${name} ${tag.getIn(["tagDetails", "description"]) || ""}`;
      return tag.set("operations", tag.get("operations").filter((op) => {
        const text = [tagText, op.get("method"), op.get("path"), op.getIn(["operation", "summary"]) || "",
                      op.getIn(["operation", "operationId"]) || ""].join(" ").toLowerCase();
        return words.every((word) => text.includes(word));
      }));
    })
    .filter((tag) => tag.get("operations").size > 0);
}

window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  filter: true,
  docExpansion: "none",           // a tag index first; a tag opens its operations
  defaultModelsExpandDepth: 0,
  persistAuthorization: true,     // the token pasted in Authorize survives a reload
  displayRequestDuration: true,
  showExtensions: false,
  tryItOutEnabled: false,
  presets: [SwaggerUIBundle.presets.apis],
  plugins: [() => ({ fn: { opsFilter: searchOperations } })],
  layout: "BaseLayout",
});

// While searching, open the tags that still have matches, so results show without a click.
document.addEventListener("input", (event) => {
  if (!event.target.matches || !event.target.matches(".operation-filter-input")) return;
  const phrase = event.target.value;
  setTimeout(() => {
    if (!phrase.trim()) return;
    const tags = searchOperations(window.ui.specSelectors.taggedOperations(), phrase);
    tags.keySeq().forEach((tag) => window.ui.layoutActions.show(["operations-tag", tag], true));
  }, 0);
});

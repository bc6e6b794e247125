// /api/asyncapi: the AsyncAPI React component's standalone bundle (vendored in asyncapi/) on
// /api/asyncapi.yaml, the Socket.IO API of this server.
"use strict";

AsyncApiStandalone.render({
  schema: { url: "/api/asyncapi.yaml", requestOptions: { credentials: "same-origin" } },
  config: {
    show: { sidebar: true, info: true, servers: true, operations: true, messages: true, schemas: true, errors: true },
    sidebar: { showServers: "byDefault", showOperations: "byDefault" },
    expand: { messageExamples: false },
  },
}, document.getElementById("asyncapi"));

"""HTTP: the route table, middleware, thin handlers, and the OpenAPI document."""

// The API documentation page: Swagger UI (our own copy) on the served OpenAPI document.
// "Try it out" requests from a logged-in browser carry the session's CSRF token.

import { csrfHeaders } from './common.js';

const target = document.getElementById('swagger');
target.replaceChildren();
globalThis.SwaggerUIBundle({
  url: target.dataset.url,
  domNode: target,
  validatorUrl: null, // the default sends the document to a public validator
  deepLinking: true,
  requestInterceptor(request) {
    if (!['GET', 'HEAD'].includes((request.method ?? 'GET').toUpperCase())) {
      Object.assign(request.headers, csrfHeaders());
    }
    return request;
  },
});

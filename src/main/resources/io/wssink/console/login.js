"use strict";
// The token goes in a POST body, never in the address bar; the receiver answers with a session cookie.
(function () {
  const params = new URLSearchParams(location.search);
  if (params.has("failed")) {
    document.getElementById("failed").hidden = false;
  }
  const stream = params.get("stream");
  if (stream) {
    document.getElementById("stream").value = stream;
  }
})();

/* The "Ask" panel of the search page (templates/search/_ask_panel.html): streams the answer from /api/v1/ask/.
   A static file, not an inline script: the Content-Security-Policy allows scripts from this site only. */
(function () {
  var panel = document.querySelector("[data-ask-panel]");
  if (!panel || !window.fetch || !window.TextDecoder) return;
  var form = panel.querySelector("[data-ask-form]"), box = panel.querySelector("[data-ask-answer]");
  var text = panel.querySelector("[data-ask-text]"), mode = panel.querySelector("[data-ask-mode]");
  var list = panel.querySelector("[data-ask-citations]"), error = panel.querySelector("[data-ask-error]");
  var feedback = panel.querySelector("[data-ask-feedback]"), conv = panel.querySelector("[data-ask-conversation]");
  var token = form.querySelector("[name=csrfmiddlewaretoken]"), csrf = token ? token.value : "", messageId = null;
  function handle(name, data) {
    if (name === "start") { conv.value = data.conversation_id; mode.textContent = data.mode === "extractive" ? "Extractive answer: the closest catalogue matches, quoted." : "Answer written by " + data.model + "."; }
    else if (name === "delta") { text.textContent += data.text; }
    else if (name === "citations") {
      data.citations.forEach(function (c) {
        var li = document.createElement("li"), a = document.createElement("a"), q = document.createElement("blockquote");
        a.href = c.url; a.textContent = c.title + " [" + c.ref + "]"; q.textContent = c.passage;
        li.appendChild(a); li.appendChild(q); list.appendChild(li);
      });
    }
    else if (name === "done") { messageId = data.message_id; feedback.hidden = false; }
    else if (name === "error") { error.textContent = data.message; error.hidden = false; }
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    box.hidden = false; text.textContent = ""; list.textContent = ""; error.hidden = true; feedback.hidden = true;
    var body = {question: form.question.value};
    if (conv.value) body.conversation_id = conv.value;
    fetch(form.action, {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRFToken": csrf}})
      .then(function (response) {
        if (!response.ok) return response.json().then(function (data) { handle("error", {message: Object.values(data.errors || {}).join(" ") || "Ask failed."}); });
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            buffer += decoder.decode(chunk.value, {stream: true});
            var frames = buffer.split("\n\n"); buffer = frames.pop();
            frames.forEach(function (frame) {
              var name = "message", data = "";
              frame.split("\n").forEach(function (line) {
                if (line.indexOf("event: ") === 0) name = line.slice(7);
                else if (line.indexOf("data: ") === 0) data += line.slice(6);
              });
              if (data) handle(name, JSON.parse(data));
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { handle("error", {message: "Ask could not be reached; try again."}); });
  });
  panel.querySelectorAll("[data-ask-vote]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!messageId) return;
      fetch(form.action + "messages/" + messageId + "/feedback/", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({conversation_id: conv.value, value: button.dataset.askVote})})
        .then(function () { feedback.textContent = "Thank you for the feedback."; });
    });
  });
})();

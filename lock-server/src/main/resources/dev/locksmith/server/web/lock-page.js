// The Locksmith lock page: loads the server-rendered, escaped rows every 5 seconds. The token, when the
// service requires one, stays in this page's memory and is sent only as the API's Authorization header.
(function () {
  'use strict';
  var REFRESH_MS = 5000;
  var body = document.body;
  var rows = document.getElementById('rows');
  var filter = document.getElementById('filter');
  var tokenInput = document.getElementById('token');
  var status = document.getElementById('status');
  var summary = document.getElementById('summary-line');
  var tokenRequired = body.getAttribute('data-token-required') === 'true';
  var timer = null;

  if (tokenRequired) {
    document.getElementById('token-label').hidden = false;
  }

  function headers() {
    var h = { 'Accept': 'text/html' };
    if (tokenRequired && tokenInput.value) {
      h['Authorization'] = 'Bearer ' + tokenInput.value;
    }
    return h;
  }

  function show(message) {
    status.textContent = message;
  }

  function load() {
    if (tokenRequired && !tokenInput.value) {
      rows.replaceChildren();
      summary.textContent = '';
      show('Enter the lock service token to see the locks.');
      return;
    }
    var url = '/locksmith/locks/rows?name=' + encodeURIComponent(filter.value);
    fetch(url, { headers: headers(), cache: 'no-store', credentials: 'omit' })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            throw new Error(response.status === 401 ? 'The token was not accepted.' : text);
          }
          // the server escapes every value in these rows
          var template = document.createElement('template');
          template.innerHTML = text;
          var total = template.content.getElementById('summary');
          summary.textContent = total ? total.textContent : '';
          rows.replaceChildren(template.content);
          show('Updated ' + new Date().toLocaleTimeString());
        });
      })
      .catch(function (error) {
        show(String(error.message || error));
      });
  }

  function schedule() {
    if (timer) {
      clearInterval(timer);
    }
    load();
    timer = setInterval(function () {
      if (!document.hidden) {
        load();
      }
    }, REFRESH_MS);
  }

  rows.addEventListener('click', function (event) {
    var button = event.target.closest('button.release');
    if (!button || !confirm('Release the lock on "' + button.getAttribute('data-service') + '"?')) {
      return;
    }
    button.disabled = true;
    fetch('/api/v1alpha1/lock/' + encodeURIComponent(button.getAttribute('data-id')),
      { method: 'DELETE', headers: headers(), cache: 'no-store', credentials: 'omit' })
      .then(function (response) {
        return response.json().then(function (json) {
          show(response.ok ? json.message : (json.error || ('HTTP ' + response.status)));
        });
      })
      .catch(function (error) { show(String(error.message || error)); })
      .then(load);
  });

  document.getElementById('controls').addEventListener('submit', function (event) {
    event.preventDefault();
    schedule();
  });
  filter.addEventListener('input', schedule);
  tokenInput.addEventListener('change', schedule);
  schedule();
}());

// The review page's behaviour: play from a citation, follow the transcript,
// search it, and send confirm / reject / edit / add to the server. Plain
// JavaScript, bundled in the binary; nothing is fetched from elsewhere.
(function () {
  "use strict";
  var KEY = "hotwash-reviewer";
  var reviewer = document.getElementById("reviewer");
  var banner = document.getElementById("banner");
  reviewer.value = localStorage.getItem(KEY) || "";
  reviewer.addEventListener("change", function () {
    localStorage.setItem(KEY, reviewer.value.trim());
  });

  function say(text, isError) {
    banner.textContent = text;
    banner.className = "on" + (isError ? " error" : "");
  }

  function who() {
    var name = reviewer.value.trim();
    if (!name) {
      say("Enter your name as reviewer first (it is asked once and kept in this browser).", true);
      reviewer.focus();
      return null;
    }
    localStorage.setItem(KEY, name);
    return name;
  }

  // --- audio -------------------------------------------------------------
  var cited = null;
  function player(rec) { return document.getElementById("audio-" + rec); }
  function lines() { return document.querySelectorAll("#transcript li"); }

  function markCited(id) {
    if (cited) { cited.classList.remove("cited"); }
    cited = document.getElementById("u-" + id);
    if (cited) {
      cited.classList.add("cited");
      cited.scrollIntoView({ block: "nearest" });
    }
  }

  function playFrom(rec, at, id) {
    var a = player(rec);
    if (!a || !a.getAttribute("src")) {
      say("No audio for this recording: the play buttons say why.", true);
      return;
    }
    document.querySelectorAll("audio").forEach(function (o) { if (o !== a) { o.pause(); } });
    a.currentTime = at;
    window.hotwashLastSeek = { rec: rec, at: at, utterance: id };
    var p = a.play();
    if (p && p.catch) { p.catch(function () {}); }
    if (id) { markCited(id); }
  }

  document.querySelectorAll("audio").forEach(function (a) {
    a.addEventListener("timeupdate", function () {
      var rec = a.id.replace("audio-", "");
      var t = a.currentTime;
      lines().forEach(function (li) {
        var on = li.dataset.rec === rec &&
          t >= parseFloat(li.dataset.start) && t < parseFloat(li.dataset.end);
        li.classList.toggle("now", on);
      });
    });
  });

  document.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) { return; }
    if (b.classList.contains("play")) {
      playFrom(b.dataset.rec, parseFloat(b.dataset.seek), b.dataset.utt);
    } else if (b.classList.contains("seek")) {
      var li = b.closest("li");
      playFrom(li.dataset.rec, parseFloat(li.dataset.start), li.dataset.id);
    } else if (b.classList.contains("cite")) {
      var id = b.closest("li").dataset.id;
      document.getElementById("add-utt").value = id;
      document.getElementById("add-text").focus();
    } else if (b.dataset.act) {
      act(b.closest("li.item"), b.dataset.act);
    }
  });

  // --- transcript search ---------------------------------------------------
  document.getElementById("search").addEventListener("input", function (e) {
    var q = e.target.value.trim().toLowerCase();
    lines().forEach(function (li) {
      li.classList.toggle("hidden", q !== "" && li.textContent.toLowerCase().indexOf(q) < 0);
    });
  });

  // --- review actions ------------------------------------------------------
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = {};
        try { data = JSON.parse(t); } catch (_) { data = { error: t }; }
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  function fieldsOf(item) {
    var out = {};
    item.querySelectorAll(".edit [name]").forEach(function (el) {
      var v = el.value;
      if (el.dataset.type === "bool") {
        v = v === "" ? null : v === "true";
      }
      out[el.name] = v;
    });
    return out;
  }

  function show(item, review) {
    item.dataset.rev = review.revision;
    item.className = "item state-" + review.state;
    item.querySelector(".badge.state").textContent = review.state;
    item.querySelector(".by").textContent = review.reviewer ? "by " + review.reviewer + ", just now" : "";
    var flag = item.querySelector(".flag");
    if (flag && review.state !== "suggested") { flag.remove(); }
  }

  function act(item, what) {
    var msg = item.querySelector(".msg");
    if (what === "edit-open") { item.classList.add("editing"); return; }
    if (what === "edit-close") { item.classList.remove("editing"); return; }
    var name = who();
    if (!name) { return; }
    var change = {
      key: item.dataset.key,
      revision: parseInt(item.dataset.rev, 10),
      reviewer: name,
      action: what === "save" ? "edit" : what,
      fields: what === "save" ? fieldsOf(item) : {}
    };
    msg.textContent = "saving…";
    post("api/change", change).then(function (r) {
      if (r.ok) {
        msg.textContent = "saved";
        if (what === "save") { location.reload(); return; }
        show(item, r.data.review);
        say("Saved " + change.key + " (" + r.data.review.state + ").", false);
      } else {
        msg.textContent = r.data.error || ("error " + r.status);
        say((r.status === 409 ? "Not saved: " : "Error: ") + (r.data.error || r.status), true);
      }
    }).catch(function (err) {
      msg.textContent = "not saved: " + err;
      say("Not saved: the review server did not answer (" + err + ").", true);
    });
  }

  document.getElementById("add-go").addEventListener("click", function () {
    var name = who();
    if (!name) { return; }
    var kind = document.getElementById("add-kind").value;
    var text = document.getElementById("add-text").value;
    var textField = { action: "action", decision: "decision", mitigation: "what",
      hypothesis: "text", timeline: "event" }[kind];
    var fields = {};
    fields[textField] = text;
    var out = document.getElementById("add-msg");
    post("api/add", {
      kind: kind,
      utterance: document.getElementById("add-utt").value,
      reviewer: name,
      fields: fields
    }).then(function (r) {
      if (r.ok) { location.reload(); } else { out.textContent = r.data.error || ("error " + r.status); }
    });
  });
})();

// Kiln docs: a single-page site over window.KILN_DOCS (data.js). Routes
// live in the URL hash so the site works from file:// with no server.
(function () {
  "use strict";
  var D = window.KILN_DOCS;
  var N = D.nodes, G = D.graph;
  var $ = function (id) { return document.getElementById(id); };
  var page = $("page"), gview = $("graphview"), state = $("state");
  var byId = {};
  for (var i = 0; i < N.length; i++) byId[N[i].id] = i;
  document.title = D.project + " · Kiln docs";
  $("title").textContent = D.project + " docs";

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function link(i, text) { return '<a href="#/node/' + encodeURIComponent(N[i].id) + '">' + esc(text || N[i].name) + "</a>"; }
  function badge(text, cls) { return '<span class="badge ' + (cls || "") + '">' + esc(text) + "</span>"; }
  function statusBadge(s) { return s ? badge(s, "st-" + s) : ""; }
  function setState(k, v) { state.setAttribute("data-" + k, v); }

  // Markdown, the everyday subset: headings, lists, code, emphasis, links.
  function inline(s) {
    return esc(s)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
      .replace(/\*([^*]+)\*/g, "<i>$1</i>")
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, function (_, t, u) {
        return /^(javascript|data):/i.test(u) ? t : '<a href="' + u + '">' + t + "</a>";
      });
  }
  function markdown(src) {
    if (!src) return "";
    var lines = String(src).split("\n"), out = [], para = [], list = null, code = null;
    function flush() {
      if (para.length) { out.push("<p>" + inline(para.join(" ")) + "</p>"); para = []; }
      if (list) { out.push("</" + list + ">"); list = null; }
    }
    lines.forEach(function (l) {
      if (code !== null) {
        if (/^```/.test(l)) { out.push("<pre>" + esc(code.join("\n")) + "</pre>"); code = null; } else code.push(l);
        return;
      }
      var m;
      if (/^```/.test(l)) { flush(); code = []; }
      else if ((m = /^(#{1,6})\s+(.*)$/.exec(l))) { flush(); var h = Math.min(m[1].length + 1, 6); out.push("<h" + h + ">" + inline(m[2]) + "</h" + h + ">"); }
      else if ((m = /^\s*(?:[-*]|(\d+)\.)\s+(.*)$/.exec(l))) {
        if (para.length) { out.push("<p>" + inline(para.join(" ")) + "</p>"); para = []; }
        var t = m[1] ? "ol" : "ul";
        if (list !== t) { if (list) out.push("</" + list + ">"); out.push("<" + t + ">"); list = t; }
        out.push("<li>" + inline(m[2]) + "</li>");
      }
      else if (/^\s*$/.test(l)) flush();
      else { if (list) { out.push("</" + list + ">"); list = null; } para.push(l); }
    });
    if (code !== null) out.push("<pre>" + esc(code.join("\n")) + "</pre>");
    flush();
    return out.join("\n");
  }

  // ---------- selection (mirrors compiler/selector) ----------
  function globRe(p) {
    var re = "^";
    for (var k = 0; k < p.length; k++) {
      var c = p[k];
      if (c === "*") re += ".*";
      else if (c === "?") re += ".";
      else if (c === "[") { var e = p.indexOf("]", k); if (e < 0) re += "\\["; else { re += "[" + p.slice(k + 1, e).replace(/^!/, "^").replace(/\\/g, "\\\\") + "]"; k = e; } }
      else re += c.replace(/[.+^${}()|\\\/]/g, "\\$&");
    }
    return new RegExp(re + "$");
  }
  function glob(p) {
    if (!/[*?\[]/.test(p)) return function (s) { return s === p; };
    var re = globRe(p);
    return function (s) { return re.test(s); };
  }
  function fqnMatch(v) {
    var parts = v.split(".");
    return function (n) {
      var f = n.fqn || [];
      if (!f.length) return false;
      if (f[f.length - 1] === v) return true;
      if (parts.length === 1) return f[0] === v;
      if (f.length < parts.length) return false;
      for (var k = 0; k < parts.length; k++) {
        if (/[*?\[]/.test(parts[k])) return glob(parts.slice(k).join("."))(f.slice(k).join("."));
        if (f[k] !== parts[k]) return false;
      }
      return true;
    };
  }
  function matcher(method, args, v) {
    if (!method) {
      if (/[\/\\]/.test(v)) method = "path";
      else if (/\.(sql|py|csv)$/i.test(v)) method = "file";
      else {
        var g = glob(v), fq = fqnMatch(v), dotted = v.indexOf(".") >= 0;
        return function (n) {
          return v === "*" || g(n.name) || fq(n) || (dotted && n.type === "source" && g(n.src + "." + n.name));
        };
      }
    }
    var gl = glob(v);
    switch (method) {
      case "tag": return function (n) { return (n.tags || []).some(gl); };
      case "resource_type": return function (n) { return n.type === v; };
      case "fqn": return fqnMatch(v);
      case "package": return function (n) { return gl(n.pkg || ""); };
      case "file": return function (n) { var b = (n.path || "").split("/").pop(); return gl(b) || gl(b.replace(/\.[^.]*$/, "")); };
      case "path":
        var pv = v.replace(/\\/g, "/").replace(/\/+$/, ""), pg = glob(pv);
        return function (n) { var p = n.path || ""; for (;;) { if (pg(p)) return true; var s = p.lastIndexOf("/"); if (s < 0) return false; p = p.slice(0, s); } };
      case "source":
        var sp = v.split(".").map(glob);
        return function (n) { return n.type === "source" && (sp.length === 1 ? sp[0](n.src || "") : sp[0](n.src || "") && sp[1](n.name)); };
      case "exposure": return function (n) { return n.type === "exposure" && gl(n.name); };
      case "config":
        return function (n) {
          var val = args[0] === "materialized" ? n.mat : (n.cfg || {})[args[0]];
          for (var k = 1; k < args.length && val != null; k++) val = val[args[k]];
          if (val == null) return false;
          return Array.isArray(val) ? val.some(function (x) { return gl(String(x)); }) : gl(String(val));
        };
    }
    throw new Error("unknown selector method \"" + method + "\"");
  }
  var gParents = [], gChildren = [];
  for (var g = 0; g < G.n.length; g++) { gParents.push([]); gChildren.push([]); }
  for (var e = 0; e < G.e.length; e += 2) { gChildren[G.e[e]].push(G.e[e + 1]); gParents[G.e[e + 1]].push(G.e[e]); }
  function walk(starts, adj, depth, into) {
    var frontier = starts.slice(), d = 0;
    while (frontier.length && (depth < 0 || d < depth)) {
      var next = [];
      for (var k = 0; k < frontier.length; k++) {
        var a = adj[frontier[k]];
        for (var j = 0; j < a.length; j++) if (!into[a[j]]) { into[a[j]] = 1; next.push(a[j]); }
      }
      frontier = next; d++;
    }
  }
  function parseAtom(s) {
    var a = { at: false, up: false, upD: -1, down: false, downD: -1, method: "", args: [], value: "" }, i = 0;
    if (s[0] === "@") { a.at = true; i = 1; }
    var m = /^(\d*)\+/.exec(s.slice(i));
    if (m) { a.up = true; if (m[1]) a.upD = +m[1]; i += m[0].length; }
    var rest = s.slice(i);
    m = /\+(\d*)$/.exec(rest);
    if (m) { a.down = true; if (m[1]) a.downD = +m[1]; rest = rest.slice(0, m.index); }
    m = /^([\w.]+):(.*)$/.exec(rest);
    if (m) { var parts = m[1].split("."); a.method = parts[0]; a.args = parts.slice(1); rest = m[2]; }
    if (!rest) throw new Error("empty selector \"" + s + "\"");
    a.value = rest;
    return a;
  }
  // select returns a Uint8Array over graph nodes: 1 where selected.
  function select(text) {
    var out = new Uint8Array(G.n.length), groups = text.trim().split(/\s+/).filter(Boolean);
    groups.forEach(function (grp) {
      var inter = null;
      grp.split(",").filter(Boolean).forEach(function (atomText) {
        var a = parseAtom(atomText), f = matcher(a.method, a.args, a.value), hit = new Uint8Array(G.n.length), starts = [];
        for (var g = 0; g < G.n.length; g++) if (f(N[G.n[g]])) { hit[g] = 1; starts.push(g); }
        if (a.up) walk(starts, gParents, a.upD, hit);
        if (a.down || a.at) walk(starts, gChildren, a.at ? -1 : a.downD, hit);
        if (a.at) { var ds = []; for (var k = 0; k < hit.length; k++) if (hit[k]) ds.push(k); walk(ds, gParents, -1, hit); }
        if (!inter) inter = hit; else for (var k2 = 0; k2 < inter.length; k2++) inter[k2] &= hit[k2];
      });
      if (inter) for (var k3 = 0; k3 < out.length; k3++) out[k3] |= inter[k3];
    });
    return out;
  }

  // ---------- search ----------
  function search(q) {
    q = q.toLowerCase().trim();
    var res = [];
    if (!q) return res;
    for (var i = 0; i < D.search.length; i++) {
      var s = D.search[i];
      var p = s.indexOf(q);
      if (p < 0) continue;
      var a = s.indexOf("\x1f"), b = s.indexOf("\x1f", a + 1), score, where;
      if (p < a) { score = s.slice(0, a) === q ? 0 : 1; where = "name"; }
      else if (p < b) { score = 2; where = "column"; }
      else { score = 3; where = "description"; }
      if (N[i].type === "test") score += 4;
      var cols = [];
      if (where === "column" || score < 4) {
        (N[i].cols || []).forEach(function (c) { if (c.n.toLowerCase().indexOf(q) >= 0) cols.push(c.n); });
      }
      res.push({ i: i, score: score, where: where, cols: cols });
    }
    res.sort(function (x, y) { return x.score - y.score || (N[x.i].name < N[y.i].name ? -1 : 1); });
    return res;
  }

  // ---------- pages ----------
  function kv(rows) {
    return "<table>" + rows.filter(function (r) { return r[1] !== "" && r[1] != null; }).map(function (r) {
      return '<tr><td class="k">' + esc(r[0]) + "</td><td>" + r[1] + "</td></tr>";
    }).join("") + "</table>";
  }
  function val(v) {
    if (v == null) return "";
    if (typeof v === "object") return "<code>" + esc(JSON.stringify(v)) + "</code>";
    return esc(v);
  }
  function linkList(idx) {
    if (!idx || !idx.length) return '<p class="muted">none</p>';
    return '<ul class="links">' + idx.map(function (j) { return "<li>" + link(j) + ' <span class="muted">' + esc(N[j].type) + "</span></li>"; }).join("") + "</ul>";
  }
  function testLabel(j) {
    var t = N[j].test || {}, r = N[j].run;
    return '<a href="#/node/' + encodeURIComponent(N[j].id) + '">' + esc(t.name || N[j].name) + "</a> " + (r ? statusBadge(r.status) : "");
  }
  function lineageCell(n, colName) {
    var lin = n.lin;
    if (!lin || !lin.cols) return "";
    var c = null;
    for (var k = 0; k < lin.cols.length; k++) if (lin.cols[k].n.toLowerCase() === colName.toLowerCase()) c = lin.cols[k];
    if (!c) return "";
    var parts = (c.src || []).map(function (s) { return link(s[0], N[s[0]].name + "." + s[1]); });
    var html = parts.join(", ");
    if (c.d) html += ' <span class="muted">(derived)</span>';
    if (c.u) html += ' <span class="untraced">untraced: ' + esc(c.u) + "</span>";
    if (!parts.length && !c.u) html += ' <span class="muted">no upstream column</span>';
    return html;
  }
  function nodePage(i) {
    var n = N[i], h = [];
    h.push("<h1>" + esc(n.name) + "</h1>");
    h.push('<div class="sub">' + badge(n.type) + (n.layer && n.layer !== n.type ? badge(n.layer) : "") + (n.mat ? badge(n.mat) : "") +
      (n.tags || []).map(function (t) { return badge("#" + t); }).join("") +
      (n.g >= 0 ? ' <a href="#/focus/' + encodeURIComponent(n.id) + '">show in lineage graph</a>' : "") + "</div>");
    if (n.desc) h.push('<div class="desc">' + markdown(n.desc) + "</div>");
    else h.push('<p class="muted">No description.</p>');
    var cfg = n.cfg || {};
    var details = [["unique id", "<code>" + esc(n.id) + "</code>"], ["relation", n.rel ? "<code>" + esc(n.rel) + "</code>" : ""], ["file", esc(n.path)], ["package", esc(n.pkg)]];
    if (n.meta) Object.keys(n.meta).forEach(function (k) { details.push(["meta." + k, val(n.meta[k])]); });
    h.push("<h2>Details</h2>" + kv(details));
    if (n.exp) {
      var x = n.exp, o = x.owner || {};
      h.push("<h2>Exposure</h2>" + kv([["type", esc(x.type)], ["owner", esc(o.name || "") + (o.email ? " &lt;" + esc(o.email) + "&gt;" : "")],
        ["url", x.url ? '<a href="' + esc(x.url) + '" rel="noreferrer">' + esc(x.url) + "</a>" : ""], ["maturity", esc(x.maturity)],
        ["tool", val((n.meta || {}).tool)], ["SLA", val((n.meta || {}).sla || (n.meta || {}).SLA)]]));
    }
    if (n.run) {
      var r = n.run;
      h.push("<h2>Last run</h2>" + kv([["status", statusBadge(r.status)], ["execution time", r.execution_time != null ? r.execution_time.toFixed(3) + " s" : ""],
        ["completed at", esc(r.completed_at)], ["rows affected", r.rows_affected > 0 ? esc(r.rows_affected) : ""], ["failures", r.failures ? esc(r.failures) : ""], ["message", esc(r.message)]]));
    } else if (n.type !== "source" && n.type !== "exposure") h.push('<h2>Last run</h2><p class="muted">Not in target/run_results.json.</p>');
    if (n.type === "source") {
      var sla = n.sla || {}, f = n.fresh;
      var per = function (p) { return p ? esc(p.count + " " + p.period) : ""; };
      var rows = [["loaded_at_field", n.loaded_at ? "<code>" + esc(n.loaded_at) + "</code>" : ""], ["warn after", per(sla.warn_after)], ["error after", per(sla.error_after)], ["filter", esc(sla.filter)]];
      if (f) rows.push(["last check", statusBadge(f.status)], ["max loaded at", esc(f.max_loaded_at)], ["checked at", esc(f.snapshotted_at)],
        ["age", f.max_loaded_at_time_ago_in_s != null ? esc(Math.round(f.max_loaded_at_time_ago_in_s)) + " s" : ""], ["error", esc(f.error || f.message)]);
      else rows.push(["last check", '<span class="muted">no target/sources.json result</span>']);
      h.push("<h2>Freshness</h2>" + kv(rows));
    }
    if (n.test) {
      var t = n.test;
      h.push("<h2>Test</h2>" + kv([["test", esc(t.name || "singular")], ["on", t.attached != null ? link(t.attached) : ""], ["column", esc(t.column)], ["arguments", t.kwargs ? val(t.kwargs) : ""]]));
    }
    if (n.cols && n.cols.length || n.lin) {
      h.push("<h2>Columns</h2><table><tr><th>column</th><th>type</th><th>description</th><th>tests</th><th>upstream columns</th></tr>");
      (n.cols || []).forEach(function (c) {
        h.push("<tr><td><b>" + esc(c.n) + "</b></td><td><code>" + esc(c.t || "") + "</code></td><td>" + markdown(c.d || "") + "</td><td>" +
          (c.tests || []).map(testLabel).join("<br>") + "</td><td>" + lineageCell(n, c.n) + "</td></tr>");
      });
      h.push("</table>");
      if (n.lin && n.lin.err) h.push('<p class="untraced">Column lineage unavailable: ' + esc(n.lin.err) + "</p>");
      if (n.lin && n.lin.cols && !(n.cols || []).length) {
        h.push("<p>Lineage by column:</p><ul>" + n.lin.cols.map(function (c) { return "<li><b>" + esc(c.n) + "</b> ← " + lineageCell(n, c.n) + "</li>"; }).join("") + "</ul>");
      }
    }
    var ck = Object.keys(cfg);
    if (ck.length) h.push("<h2>Config</h2>" + kv(ck.map(function (k) { return [k, val(cfg[k])]; })));
    if (n.tests && n.tests.length) h.push("<h2>Tests</h2><ul>" + n.tests.map(function (j) { return "<li>" + testLabel(j) + (N[j].test && N[j].test.column ? ' <span class="muted">on ' + esc(N[j].test.column) + "</span>" : "") + "</li>"; }).join("") + "</ul>");
    h.push("<h2>Upstream</h2>" + linkList(n.up));
    h.push("<h2>Downstream</h2>" + linkList(n.down));
    if (!detailsLoaded) h.push('<p class="muted">Loading SQL and column lineage…</p>');
    if (n.raw) h.push("<h2>Raw SQL</h2><pre>" + esc(n.raw) + "</pre>");
    if (n.sql) h.push("<h2>Compiled SQL</h2><pre>" + esc(n.sql) + "</pre>");
    return h.join("\n");
  }
  function overviewPage() {
    var counts = {}, status = {};
    N.forEach(function (n) { counts[n.type] = (counts[n.type] || 0) + 1; if (n.run) status[n.run.status] = (status[n.run.status] || 0) + 1; });
    var h = ['<div class="cards">'];
    ["model", "seed", "snapshot", "source", "exposure", "test"].forEach(function (t) {
      if (counts[t]) h.push('<a class="card" href="#/list/' + t + '"><b>' + counts[t] + "</b>" + t + "s</a>");
    });
    h.push('<a class="card" href="#/graph"><b>' + G.n.length + "</b>nodes in the lineage graph</a></div>");
    var sk = Object.keys(status);
    if (sk.length) h.push("<h2>Last run</h2><p>" + sk.map(function (s) { return statusBadge(s) + status[s]; }).join(" ") + "</p>");
    if (D.overview) h.push('<div class="overview">' + markdown(D.overview) + "</div>");
    else h.unshift("<h1>" + esc(D.project) + "</h1><p>" + esc(D.adapter) + " project, documented " + esc(D.generated_at) + ".</p>");
    return h.join("\n");
  }
  function listPage(type) {
    var idx = [];
    N.forEach(function (n, i) { if (n.type === type) idx.push(i); });
    idx.sort(function (a, b) { return N[a].id < N[b].id ? -1 : 1; });
    var shown = idx.slice(0, 2000);
    return "<h1>" + esc(type) + "s</h1><p class=muted>" + idx.length + (idx.length > shown.length ? " (first " + shown.length + " shown; use search)" : "") + "</p><table>" +
      shown.map(function (i) { var n = N[i]; return "<tr><td>" + link(i) + "</td><td>" + esc((n.fqn || []).slice(1, -1).join("/")) + "</td><td>" + esc((n.desc || "").slice(0, 140)) + "</td><td>" + (n.run ? statusBadge(n.run.status) : "") + "</td></tr>"; }).join("") + "</table>";
  }
  function searchPage(q) {
    var res = search(q);
    setState("search", res.slice(0, 50).map(function (r) { return N[r.i].name + (r.cols.length ? ":" + r.cols.join("+") : ""); }).join(" "));
    setState("search-count", res.length);
    var h = ["<h1>Search: " + esc(q) + "</h1><p class=muted>" + res.length + " result" + (res.length === 1 ? "" : "s") + "</p>"];
    res.slice(0, 300).forEach(function (r) {
      var n = N[r.i];
      h.push('<div class="result">' + link(r.i) + " " + badge(n.type) + ' <span class="muted">matched ' + r.where + "</span>" +
        (r.cols.length ? "<br>columns: " + r.cols.map(function (c) { return "<code>" + esc(c) + "</code>"; }).join(" ") : "") +
        (n.desc ? '<br><span class="muted">' + esc(n.desc.slice(0, 200)) + "</span>" : "") + "</div>");
    });
    return h.join("\n");
  }

  // ---------- graph ----------
  var canvas = $("graph"), ctx = canvas.getContext("2d"), panel = $("panel");
  var W = G.w, H = G.h, GN = G.n.length;
  var COLORS = { source: "#2f9e44", seed: "#1098ad", snapshot: "#7048e8", exposure: "#e8590c", staging: "#4dabf7", intermediate: "#748ffc", core: "#1c7ed6", marts: "#d6336c", other: "#868e96" };
  var colorOf = new Array(GN), label = new Array(GN);
  var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (var k = 0; k < GN; k++) {
    var nn = N[G.n[k]];
    colorOf[k] = COLORS[nn.layer] || COLORS.other;
    label[k] = nn.name;
    minX = Math.min(minX, G.x[k]); maxX = Math.max(maxX, G.x[k] + W); minY = Math.min(minY, G.y[k]); maxY = Math.max(maxY, G.y[k] + H);
  }
  if (!GN) { minX = minY = 0; maxX = maxY = 100; }
  // Grid index for hit tests and visible-node culling.
  var CELL = 400, grid = {};
  for (k = 0; k < GN; k++) {
    var c0 = Math.floor(G.x[k] / CELL), r0 = Math.floor(G.y[k] / CELL), c1 = Math.floor((G.x[k] + W) / CELL), r1 = Math.floor((G.y[k] + H) / CELL);
    for (var cx = c0; cx <= c1; cx++) for (var cy = r0; cy <= r1; cy++) (grid[cx + "," + cy] = grid[cx + "," + cy] || []).push(k);
  }
  var legend = [];
  Object.keys(COLORS).forEach(function (l) { legend.push('<span><i style="background:' + COLORS[l] + '"></i>' + l + "</span>"); });
  $("legend").innerHTML = legend.join("");
  var tags = {};
  N.forEach(function (n) { if (n.g >= 0) (n.tags || []).forEach(function (t) { tags[t] = 1; }); });
  $("tag").innerHTML += Object.keys(tags).sort().map(function (t) { return '<option value="' + esc(t) + '">' + esc(t) + "</option>"; }).join("");

  var view = { s: 1, x: 0, y: 0 };
  var shown = new Uint8Array(GN).fill(1); // passes the selector filter
  var mark = new Uint8Array(GN); // 0 plain, 1 dimmed, 2 highlighted, 3 focus
  var anyMark = false, focus = -1, firstPaint = 0;

  function resize() {
    var r = canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(r.width * dpr)); canvas.height = Math.max(1, Math.round(r.height * dpr));
    redraw();
  }
  function fit(which) {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, any = false;
    for (var k = 0; k < GN; k++) {
      if (!shown[k] || (which && !which[k])) continue;
      any = true;
      x0 = Math.min(x0, G.x[k]); y0 = Math.min(y0, G.y[k]); x1 = Math.max(x1, G.x[k] + W); y1 = Math.max(y1, G.y[k] + H);
    }
    if (!any) { x0 = minX; y0 = minY; x1 = maxX; y1 = maxY; }
    var r = canvas.getBoundingClientRect(), pad = 40, pw = Math.max(r.width - (panel.innerHTML ? 360 : 0), 200);
    view.s = Math.min(1.5, Math.min((pw - 2 * pad) / (x1 - x0 || 1), (r.height - 2 * pad) / (y1 - y0 || 1)));
    view.x = pad - x0 * view.s + Math.max(0, (pw - 2 * pad - (x1 - x0) * view.s) / 2);
    view.y = pad - y0 * view.s + Math.max(0, (r.height - 2 * pad - (y1 - y0) * view.s) / 2);
    redraw();
  }
  var pending = false;
  function redraw() { if (!pending) { pending = true; requestAnimationFrame(draw); } }
  function draw() {
    pending = false;
    var dpr = window.devicePixelRatio || 1, cw = canvas.width / dpr, ch = canvas.height / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    ctx.setTransform(dpr * view.s, 0, 0, dpr * view.s, dpr * view.x, dpr * view.y);
    var wx0 = -view.x / view.s, wy0 = -view.y / view.s, wx1 = wx0 + cw / view.s, wy1 = wy0 + ch / view.s;
    // Edges: culled by their bounding box, batched by style.
    var curves = view.s > 0.25;
    var batches = [[], [], []];
    for (var e = 0; e < G.e.length; e += 2) {
      var a = G.e[e], b = G.e[e + 1];
      if (!shown[a] || !shown[b]) continue;
      var ax = G.x[a] + W, ay = G.y[a] + H / 2, bx = G.x[b], by = G.y[b] + H / 2;
      if (Math.max(ax, bx) < wx0 || Math.min(ax, bx) > wx1 || Math.max(ay, by) < wy0 || Math.min(ay, by) > wy1) continue;
      var st = !anyMark ? 0 : (mark[a] >= 2 && mark[b] >= 2 ? 2 : 1);
      batches[st].push(ax, ay, bx, by);
    }
    var styles = [["#b8c2cc", 1], ["#e3e8ee", 1], ["#f08c00", 2]];
    for (var s = 0; s < 3; s++) {
      var L = batches[s];
      if (!L.length) continue;
      ctx.beginPath();
      for (var q = 0; q < L.length; q += 4) {
        ctx.moveTo(L[q], L[q + 1]);
        if (curves) { var mx = (L[q] + L[q + 2]) / 2; ctx.bezierCurveTo(mx, L[q + 1], mx, L[q + 3], L[q + 2], L[q + 3]); }
        else ctx.lineTo(L[q + 2], L[q + 3]);
      }
      ctx.strokeStyle = styles[s][0]; ctx.lineWidth = styles[s][1] / Math.max(view.s, 0.05) * (view.s > 1 ? 1 : view.s < 0.2 ? 0.5 : 1);
      ctx.stroke();
    }
    // Nodes in visible grid cells.
    var c0 = Math.floor(wx0 / CELL), c1 = Math.floor(wx1 / CELL), r0 = Math.floor(wy0 / CELL), r1 = Math.floor(wy1 / CELL);
    var seen = new Uint8Array(GN), vis = [];
    if ((c1 - c0 + 1) * (r1 - r0 + 1) > 4 * GN) { for (var k = 0; k < GN; k++) vis.push(k); }
    else for (var cx = c0; cx <= c1; cx++) for (var cy = r0; cy <= r1; cy++) {
      var cell = grid[cx + "," + cy];
      if (cell) for (var j = 0; j < cell.length; j++) if (!seen[cell[j]]) { seen[cell[j]] = 1; vis.push(cell[j]); }
    }
    var labels = view.s >= 0.45, drawn = 0;
    ctx.font = "12px system-ui, sans-serif"; ctx.textBaseline = "middle";
    for (var v = 0; v < vis.length; v++) {
      var g = vis[v];
      if (!shown[g]) continue;
      var x = G.x[g], y = G.y[g];
      if (x > wx1 || x + W < wx0 || y > wy1 || y + H < wy0) continue;
      drawn++;
      var dim = anyMark && mark[g] <= 1;
      ctx.globalAlpha = dim ? 0.18 : 1;
      ctx.fillStyle = colorOf[g];
      ctx.fillRect(x, y, W, H);
      if (anyMark && mark[g] === 3) { ctx.lineWidth = 3 / Math.max(view.s, 0.2); ctx.strokeStyle = "#1f2933"; ctx.strokeRect(x, y, W, H); }
      if (labels) {
        ctx.fillStyle = "#fff";
        var t = label[g];
        if (t.length > 26) t = t.slice(0, 25) + "…";
        ctx.fillText(t, x + 6, y + H / 2);
      }
    }
    ctx.globalAlpha = 1;
    if (!firstPaint) {
      firstPaint = performance.now();
      setState("load-ms", Math.round(firstPaint));
      loadDetails();
    }
    setState("drawn", drawn);
  }
  function hit(px, py) {
    var wx = (px - view.x) / view.s, wy = (py - view.y) / view.s;
    var cell = grid[Math.floor(wx / CELL) + "," + Math.floor(wy / CELL)] || [];
    for (var j = 0; j < cell.length; j++) {
      var g = cell[j];
      if (shown[g] && wx >= G.x[g] && wx <= G.x[g] + W && wy >= G.y[g] && wy <= G.y[g] + H) return g;
    }
    return -1;
  }
  var drag = null;
  canvas.addEventListener("mousedown", function (ev) { drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false }; canvas.style.cursor = "grabbing"; });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.x = drag.vx + dx; view.y = drag.vy + dy; redraw();
  });
  window.addEventListener("mouseup", function (ev) {
    if (!drag) return;
    var moved = drag.moved; drag = null; canvas.style.cursor = "grab";
    if (moved) return;
    var r = canvas.getBoundingClientRect(), g = hit(ev.clientX - r.left, ev.clientY - r.top);
    if (g >= 0) location.hash = "#/focus/" + encodeURIComponent(N[G.n[g]].id) + depthQuery();
  });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = canvas.getBoundingClientRect(), px = ev.clientX - r.left, py = ev.clientY - r.top;
    var f = Math.exp(-ev.deltaY * 0.0015), s = Math.min(4, Math.max(0.005, view.s * f));
    view.x = px - (px - view.x) * (s / view.s); view.y = py - (py - view.y) * (s / view.s); view.s = s;
    redraw();
  }, { passive: false });
  window.addEventListener("resize", function () { if (!gview.hidden) resize(); });
  $("fit").onclick = function () { fit(anyMark ? markedSet() : null); };
  $("sel").addEventListener("keydown", function (ev) { if (ev.key === "Enter") location.hash = "#/graph/" + encodeURIComponent($("sel").value.trim()); });
  $("tag").onchange = function () { location.hash = "#/graph/" + encodeURIComponent(this.value ? "tag:" + this.value : ""); };
  function depthQuery() {
    var u = $("up").value, d = $("down").value, q = [];
    if (u !== "") q.push("up=" + u);
    if (d !== "") q.push("down=" + d);
    return q.length ? "?" + q.join("&") : "";
  }
  ["up", "down"].forEach(function (id) { $(id).onchange = function () { if (focus >= 0) location.hash = "#/focus/" + encodeURIComponent(N[G.n[focus]].id) + depthQuery(); }; });
  function markedSet() { var s = new Uint8Array(GN); for (var k = 0; k < GN; k++) s[k] = mark[k] >= 2 ? 1 : 0; return s; }

  // upstreamColumns follows column lineage transitively from (node, col).
  function upstreamColumns(i, col) {
    var out = [], seen = {}, stack = [[i, col.toLowerCase()]];
    while (stack.length) {
      var cur = stack.pop(), lin = N[cur[0]].lin;
      if (!lin || !lin.cols) continue;
      for (var k = 0; k < lin.cols.length; k++) {
        var c = lin.cols[k];
        if (c.n.toLowerCase() !== cur[1]) continue;
        (c.src || []).forEach(function (s) {
          var key = s[0] + "." + s[1];
          if (seen[key]) return;
          seen[key] = 1; out.push(s); stack.push([s[0], String(s[1]).toLowerCase()]);
        });
      }
    }
    return out;
  }

  function showGraph(opts) {
    page.hidden = true; gview.hidden = false;
    resize();
    var err = "";
    shown.fill(1);
    if (opts.select) {
      try { shown = select(opts.select); } catch (ex) { err = ex.message; shown.fill(1); }
    }
    $("sel").value = opts.select || "";
    mark.fill(0); anyMark = false; focus = -1;
    var html = "";
    var count = 0;
    for (var k = 0; k < GN; k++) count += shown[k];
    setState("graph-nodes", count);
    setState("graph-total", GN);
    if (opts.focus != null) {
      var i = opts.focus, g = N[i].g;
      focus = g; anyMark = true; mark.fill(1);
      var up = new Uint8Array(GN), down = new Uint8Array(GN);
      walk([g], gParents, opts.up, up);
      walk([g], gChildren, opts.down, down);
      var ups = [], downs = [];
      for (k = 0; k < GN; k++) { if (up[k]) { mark[k] = 2; ups.push(G.n[k]); } if (down[k]) { mark[k] = 2; downs.push(G.n[k]); } }
      mark[g] = 3;
      var n = N[i];
      setState("focus", n.name);
      setState("focus-up", ups.map(function (j) { return N[j].name; }).sort().join(" "));
      setState("focus-down", downs.map(function (j) { return N[j].name; }).sort().join(" "));
      html += "<h3>" + link(i) + "</h3>" + badge(n.type) + (n.layer && n.layer !== n.type ? badge(n.layer) : "") + (n.mat ? badge(n.mat) : "") + (n.run ? statusBadge(n.run.status) : "");
      if (n.desc) html += '<div class="muted">' + esc(n.desc.slice(0, 300)) + "</div>";
      html += "<p><b>Upstream</b> (" + ups.length + ")</p><ul>" + ups.slice(0, 200).map(function (j) { return "<li>" + link(j) + "</li>"; }).join("") + "</ul>";
      html += "<p><b>Downstream</b> (" + downs.length + ")</p><ul>" + downs.slice(0, 200).map(function (j) { return "<li>" + link(j) + "</li>"; }).join("") + "</ul>";
      var cols = (n.lin && n.lin.cols) || [];
      if (cols.length) {
        html += "<p><b>Columns</b> <span class=muted>(click to trace upstream)</span></p><ul>";
        cols.forEach(function (c) {
          var on = opts.col && opts.col.toLowerCase() === c.n.toLowerCase();
          html += '<li class="col' + (on ? " on" : "") + '" data-col="' + esc(c.n) + '">' + esc(c.n) + (c.u ? ' <span class="untraced">untraced</span>' : "") + "</li>";
        });
        html += "</ul>";
      }
      if (opts.col) {
        var srcs = upstreamColumns(i, opts.col);
        mark.fill(1);
        mark[g] = 3;
        srcs.forEach(function (s) { var sg = N[s[0]].g; if (sg >= 0) mark[sg] = 2; });
        setState("col-lineage", srcs.map(function (s) { return N[s[0]].name + "." + s[1]; }).sort().join(" "));
        html += "<p><b>" + esc(opts.col) + "</b> comes from</p><ul>" + (srcs.length ? srcs.map(function (s) { return "<li>" + link(s[0], N[s[0]].name + "." + s[1]) + "</li>"; }).join("") : "<li class=muted>no traced upstream column</li>") + "</ul>";
      }
    } else {
      setState("focus", "");
    }
    if (err) html = '<div class="sel-error">' + esc(err) + "</div>" + html;
    panel.innerHTML = html;
    Array.prototype.forEach.call(panel.querySelectorAll(".col"), function (li) {
      li.onclick = function () { location.hash = "#/focus/" + encodeURIComponent(N[opts.focus].id) + "/col/" + encodeURIComponent(li.getAttribute("data-col")) + depthQuery(); };
    });
    fit(anyMark ? markedSet() : null);
  }

  // ---------- details (SQL, lineage) load after the first paint ----------
  var detailsLoaded = false, detailsRequested = false, lastRoute = "";
  function loadDetails() {
    if (detailsRequested) return;
    detailsRequested = true;
    setTimeout(function () {
      var s = document.createElement("script");
      s.src = "details.js";
      s.onload = function () {
        var X = window.KILN_DETAILS || [];
        for (var i = 0; i < X.length && i < N.length; i++) {
          var x = X[i];
          if (x.raw) N[i].raw = x.raw;
          if (x.sql) N[i].sql = x.sql;
          if (x.lin) N[i].lin = x.lin;
        }
        window.KILN_DETAILS = null;
        detailsLoaded = true;
        setState("details", "1");
        if (lastRoute === "node" || lastRoute === "focus") route();
      };
      document.body.appendChild(s);
    }, 0);
  }

  // ---------- router ----------
  function route() {
    var h = location.hash.replace(/^#\/?/, ""), q = {}, qi = h.indexOf("?");
    if (qi >= 0) { h.slice(qi + 1).split("&").forEach(function (p) { var kv = p.split("="); q[kv[0]] = decodeURIComponent(kv[1] || ""); }); h = h.slice(0, qi); }
    var parts = h.split("/").map(function (p) { try { return decodeURIComponent(p); } catch (e) { return p; } });
    setState("route", parts[0] || "overview");
    lastRoute = parts[0] || "";
    var html = null;
    switch (parts[0]) {
      case "graph":
        showGraph({ select: parts.slice(1).join("/") });
        return;
      case "focus":
        var fi = byId[parts[1]];
        if (fi != null && N[fi].g >= 0) {
          $("up").value = q.up || ""; $("down").value = q.down || "";
          showGraph({ focus: fi, up: q.up ? +q.up : -1, down: q.down ? +q.down : -1, col: parts[2] === "col" ? parts.slice(3).join("/") : "" });
          return;
        }
        html = "<h1>Not found</h1><p>No graph node " + esc(parts[1]) + ".</p>";
        break;
      case "node":
        var ni = byId[parts.slice(1).join("/")];
        html = ni == null ? "<h1>Not found</h1>" : nodePage(ni);
        break;
      case "search":
        var qs = parts.slice(1).join("/");
        if ($("q") !== document.activeElement) $("q").value = qs;
        html = searchPage(qs);
        break;
      case "list":
        html = listPage(parts[1] || "model");
        break;
      default:
        html = overviewPage();
    }
    gview.hidden = true; page.hidden = false;
    page.innerHTML = html;
    window.scrollTo(0, 0);
    if (!firstPaint) { firstPaint = performance.now(); setState("load-ms", Math.round(firstPaint)); }
    loadDetails();
  }
  var timer = null;
  $("q").addEventListener("input", function () {
    var v = this.value;
    clearTimeout(timer);
    timer = setTimeout(function () { location.hash = v ? "#/search/" + encodeURIComponent(v) : "#/"; }, 200);
  });
  window.addEventListener("hashchange", route);
  setState("nodes", N.length);
  route();
  setState("ready", "1");
})();

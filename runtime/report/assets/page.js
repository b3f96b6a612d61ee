/*
 * The report page: reads the embedded JSON (runtime/report/data.ts ReportData) and draws the charts with the
 * inlined uPlot, the heatmaps on plain canvases. Runs offline: nothing here fetches anything.
 */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = ['#2f6fdb', '#d9472b', '#2a9d4b', '#8e44ad', '#d68910', '#17a2b8', '#7f8c8d'];
  var WIDTH = 440;
  var HEIGHT = 240;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }
  function fmt(x, digits) {
    if (x === null || x === undefined || (typeof x === 'number' && !isFinite(x))) return '—';
    if (typeof x !== 'number') return String(x);
    var a = Math.abs(x);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(3);
    return x.toFixed(digits === undefined ? 4 : digits);
  }
  function section(id) { return document.getElementById(id); }
  function table(head, rows) {
    var t = el('table');
    // Text columns align left, numeric ones right (a column is numeric when its first row's cell is).
    var numeric = head.map(function (h, i) { return rows.length > 0 && /^[-+]?[\d.,]+(e[-+]?\d+)?( %)?$|^—$/.test(rows[0][i]); });
    t.appendChild(el('tr', null, head.map(function (h, i) { return el('th', { text: h, class: numeric[i] ? '' : 'l' }); })));
    rows.forEach(function (r) {
      t.appendChild(el('tr', null, r.map(function (c, i) { return el('td', { text: c, class: numeric[i] ? '' : 'l' }); })));
    });
    return t;
  }
  function chart(parent, title, opts, data) {
    var box = el('div', { class: 'chart' });
    box.appendChild(el('h3', { text: title }));
    parent.appendChild(box);
    opts.width = WIDTH;
    opts.height = HEIGHT;
    opts.legend = opts.legend || { show: true };
    return new uPlot(opts, data, box);
  }

  // ---- header and stage table
  section('title').textContent = D.title;
  section('subtitle').textContent = 'spec ' + D.spec + ' · run ' + D.runDir + ' · teacher ' + D.teacher.name + ' (' + D.teacher.checkpoint + ')' +
    ' · student ' + D.student.name + ' [' + D.student.layout.join(', ') + ']' + (D.backend ? ' · ' + D.backend : '') + ' · written ' + D.createdAt;
  section('stages').appendChild(table(['stage', 'kind', 'steps', 'tokens', 'final loss', 'seconds', 'tokens/s'], D.stages.map(function (s) {
    return [s.name, s.kind, String(s.steps), String(s.tokens), fmt(s.finalLoss), fmt(s.seconds, 1), fmt(s.tokensPerS, 0)];
  })));

  // ---- loss curves, one chart per stage (scales differ by orders of magnitude between stages)
  var lossBox = section('loss');
  var trained = D.series.filter(function (s) { return s.loss.length > 0; });
  if (!trained.length) lossBox.appendChild(el('p', { class: 'muted', text: 'No metrics yet (metrics.jsonl is empty).' }));
  trained.forEach(function (s, i) {
    chart(lossBox, s.name + ' (' + s.kind + ') — loss', {
      scales: { x: { time: false } },
      axes: [{ label: 'tokens in stage' }, { label: 'loss', size: 60 }],
      series: [{ label: 'tokens' }, { label: 'loss', stroke: COLORS[i % COLORS.length], width: 1.5, points: { show: s.loss.length < 60 } }],
    }, [s.tokens, s.loss]);
  });

  // ---- throughput and learning rate over the run, one series per stage on a shared x axis
  var tpBox = section('throughput');
  if (trained.length) {
    // Stages run one after another, so their run-token counts concatenate into one increasing x axis.
    var x = [];
    trained.forEach(function (s) { x = x.concat(s.runTokens); });
    function aligned(field) {
      var offset = 0;
      return trained.map(function (s) {
        var col = x.map(function () { return null; });
        s[field].forEach(function (v, j) { col[offset + j] = v; });
        offset += s.runTokens.length;
        return col;
      });
    }
    var seriesOf = function (unit) {
      return [{ label: 'run tokens' }].concat(trained.map(function (s, i) {
        return { label: s.name, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false, value: function (u, v) { return v === null ? '—' : fmt(v, unit === 'lr' ? 6 : 0); } };
      }));
    };
    chart(tpBox, 'training throughput (tokens/s)', { scales: { x: { time: false } }, axes: [{ label: 'tokens in run' }, { label: 'tokens/s', size: 60 }], series: seriesOf('tps') }, [x].concat(aligned('tokensPerS')));
    chart(tpBox, 'learning rate', { scales: { x: { time: false } }, axes: [{ label: 'tokens in run' }, { label: 'lr', size: 70, values: function (u, vs) { return vs.map(function (v) { return fmt(v); }); } }], series: seriesOf('lr') }, [x].concat(aligned('lr')));
  }

  // ---- evaluation table
  var evBox = section('eval');
  var E = D.eval;
  if (!E) evBox.appendChild(el('p', { class: 'muted', text: 'No evaluation (run mohawkc report without --no-eval, or let the run finish).' }));
  else {
    var rows = [
      ['mean NLL (nats/token)', fmt(E.teacher.meanNll), E.student ? fmt(E.student.meanNll) : '—'],
      ['perplexity', fmt(E.teacher.perplexity, 3), E.student ? fmt(E.student.perplexity, 3) : '—'],
    ];
    evBox.appendChild(table(['metric', 'teacher', 'student'], rows));
    var more = [];
    if (E.nllRatio !== undefined) more.push(['student NLL / teacher NLL', fmt(E.nllRatio)]);
    if (E.top1Agreement !== undefined) more.push(['top-1 agreement', (100 * E.top1Agreement).toFixed(2) + ' %']);
    if (E.klPerToken !== undefined) more.push(['KL(teacher ‖ student) per token (nats)', fmt(E.klPerToken)]);
    if (more.length) evBox.appendChild(table(['student vs teacher', 'value'], more));
    evBox.appendChild(el('p', { class: 'note', text: (D.evalSource === 'summary' ? 'From summary.json (NLL only). ' : '') +
      E.sequences + ' ' + E.protocol + ' of ' + E.text + ': ' + E.predicted + ' predicted tokens (' + E.tokens + ' with BOS).' }));
  }

  // ---- per-layer distances
  var dBox = section('distances');
  if (!E || !E.distances) dBox.appendChild(el('p', { class: 'muted', text: 'No per-layer distances (needs the computed evaluation).' }));
  else {
    var L = E.distances.layers;
    var layersX = L.map(function (d) { return d.layer; });
    var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined;
    var barOpts = function (label, color) {
      return {
        scales: { x: { time: false, range: function (u, mn, mx) { return [mn - 0.5, mx + 0.5]; } }, y: { range: function (u, mn, mx) { return [0, mx > 0 ? mx * 1.1 : 1]; } } },
        axes: [{ label: 'layer', incrs: [1], values: function (u, vs) { return vs.map(function (v) { return Number.isInteger(v) ? String(v) : ''; }); } }, { label: label, size: 60 }],
        series: [{ label: 'layer' }, { label: label, stroke: color, fill: color + '99', width: 1, paths: bars, points: { show: !bars } }],
      };
    };
    chart(dBox, 'stage 1: ‖M − A‖_F (mean over windows × heads)', barOpts('matrix distance', '#2f6fdb'), [layersX, L.map(function (d) { return d.matrix === undefined ? null : d.matrix; })]);
    chart(dBox, 'stage 2: ‖student − teacher‖₂ over hidden (' + E.distances.target + ', mean over tokens)', barOpts('hidden distance', '#d9472b'), [layersX, L.map(function (d) { return d.hidden === undefined ? null : d.hidden; })]);
    dBox.appendChild(table(['layer', 'kind', 'stage-1 matrix distance', 'stage-2 hidden distance'], L.map(function (d) {
      return [String(d.layer), d.kind, d.matrix === undefined ? 'kept attention' : fmt(d.matrix), fmt(d.hidden)];
    })));
    dBox.appendChild(el('p', { class: 'note', text: E.distances.windows + ' windows of ' + E.distances.seqLen + ' tokens of the held-out text; every layer gets the teacher\'s hidden state entering it, as in training.' }));
  }

  // ---- heatmaps
  var hBox = section('heatmaps');
  var H = D.heatmaps;
  if (!H) hBox.appendChild(el('p', { class: 'muted', text: 'No heatmaps.' }));
  else {
    function decode(b64) {
      var bin = atob(b64);
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new Float32Array(bytes.buffer);
    }
    var T = H.length;
    var cell = Math.max(3, Math.min(10, Math.floor(256 / T)));
    var mats = H.layers.map(function (l) {
      return { layer: l.layer, kind: l.kind, teacher: decode(l.teacher), th: l.teacherHeads, student: l.student ? decode(l.student) : null, sh: l.studentHeads || 0 };
    });
    var maxHeads = Math.max.apply(null, mats.map(function (m) { return Math.max(m.th, m.sh); }));
    var pick = el('select', { id: 'head-select' });
    pick.appendChild(el('option', { value: 'mean', text: 'mean over heads' }));
    for (var h = 0; h < maxHeads; h++) pick.appendChild(el('option', { value: String(h), text: 'head ' + h }));
    var controls = el('p', null, [document.createTextNode('Show: '), pick, document.createTextNode('   colour: '), el('span', { class: 'legend-bar', id: 'legend' }), document.createTextNode('  −v … 0 … +v, v = the teacher matrix\'s maximum in that layer')]);
    hBox.appendChild(controls);
    hBox.appendChild(el('div', { class: 'seq', text: H.pieces.map(function (p, i) { return '[' + i + ']' + p; }).join(' ') }));
    var readout = el('div', { id: 'heat-readout', class: 'muted', text: 'hover a cell: query position, key position, value' });
    hBox.appendChild(readout);
    var rowsBox = el('div');
    hBox.appendChild(rowsBox);

    var headOf = function (m, heads, sel) {
      var out = new Float32Array(T * T);
      if (sel === 'mean') {
        for (var hh = 0; hh < heads; hh++) for (var i = 0; i < T * T; i++) out[i] += m[hh * T * T + i] / heads;
      } else {
        var k = Math.min(Number(sel), heads - 1);
        out.set(m.subarray(k * T * T, (k + 1) * T * T));
      }
      return out;
    };
    var colour = function (v, vmax) {
      var t = Math.max(-1, Math.min(1, v / (vmax || 1)));
      // white at 0, red for positive, blue for negative
      if (t >= 0) return [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t * 0.85))];
      return [Math.round(255 * (1 + t * 0.85)), Math.round(255 * (1 + t * 0.5)), 255];
    };
    var paint = function (canvas, m, vmax, name) {
      var ctx = canvas.getContext('2d');
      var img = ctx.createImageData(T * cell, T * cell);
      for (var q = 0; q < T; q++) for (var s = 0; s < T; s++) {
        var c = colour(m[q * T + s], vmax);
        for (var dy = 0; dy < cell; dy++) for (var dx = 0; dx < cell; dx++) {
          var p = ((q * cell + dy) * T * cell + (s * cell + dx)) * 4;
          img.data[p] = c[0]; img.data[p + 1] = c[1]; img.data[p + 2] = c[2]; img.data[p + 3] = 255;
        }
      }
      ctx.putImageData(img, 0, 0);
      canvas.onmousemove = function (ev) {
        var r = canvas.getBoundingClientRect();
        var s = Math.floor((ev.clientX - r.left) / cell), q = Math.floor((ev.clientY - r.top) / cell);
        if (q >= 0 && q < T && s >= 0 && s < T)
          readout.textContent = name + ': query ' + q + ' ' + JSON.stringify(H.pieces[q]) + ' ← key ' + s + ' ' + JSON.stringify(H.pieces[s]) + ' = ' + m[q * T + s].toFixed(4);
      };
    };
    var legend = document.getElementById('legend');
    var lg = [];
    for (var li = -10; li <= 10; li++) { var c = colour(li / 10, 1); lg.push('rgb(' + c.join(',') + ') ' + ((li + 10) * 5) + '%'); }
    legend.style.background = 'linear-gradient(to right, ' + lg.join(', ') + ')';

    var draw = function () {
      rowsBox.textContent = '';
      mats.forEach(function (m) {
        var tm = headOf(m.teacher, m.th, pick.value);
        var vmax = 0;
        for (var i = 0; i < tm.length; i++) vmax = Math.max(vmax, Math.abs(tm[i]));
        var tc = el('canvas', { width: String(T * cell), height: String(T * cell), 'data-heatmap': 'teacher-' + m.layer });
        var row = el('div', { class: 'heat-row' }, [
          el('div', { class: 'label', text: 'layer ' + m.layer + (m.kind === 'attention' ? ' (kept attention)' : '') }),
          el('div', { class: 'heat' }, [el('span', { text: 'teacher attention' }), tc]),
        ]);
        paint(tc, tm, vmax, 'layer ' + m.layer + ' teacher');
        if (m.student) {
          var sm = headOf(m.student, m.sh, pick.value);
          var sc = el('canvas', { width: String(T * cell), height: String(T * cell), 'data-heatmap': 'student-' + m.layer });
          row.appendChild(el('div', { class: 'heat' }, [el('span', { text: 'student mixing matrix' }), sc]));
          paint(sc, sm, vmax, 'layer ' + m.layer + ' student');
          var diff = new Float32Array(T * T);
          for (var j = 0; j < diff.length; j++) diff[j] = sm[j] - tm[j];
          var dc = el('canvas', { width: String(T * cell), height: String(T * cell), 'data-heatmap': 'diff-' + m.layer });
          row.appendChild(el('div', { class: 'heat' }, [el('span', { text: 'student − teacher' }), dc]));
          paint(dc, diff, vmax, 'layer ' + m.layer + ' difference');
        }
        rowsBox.appendChild(row);
      });
    };
    pick.onchange = draw;
    draw();
  }

  // ---- samples side by side
  var sBox = section('samples');
  var S = D.samples;
  if (!S) sBox.appendChild(el('p', { class: 'muted', text: 'No samples.' }));
  else {
    sBox.appendChild(el('p', { class: 'note', text: S.positions + ' positions, temperature ' + S.temperature + ', top-p ' + S.topP + ', seed ' + S.seed + ' (the same coins for both models).' }));
    var st = table(['prompt', 'teacher', 'student'], S.pairs.map(function (p) { return [p.prompt, p.teacher, p.student]; }));
    st.className = 'samples';
    sBox.appendChild(st);
  }

  // ---- notes
  var nBox = section('notes');
  D.notes.forEach(function (n) { nBox.appendChild(el('li', { text: n })); });
  if (!D.notes.length) nBox.appendChild(el('li', { text: 'none' }));
  document.body.setAttribute('data-rendered', 'true');
})();

/* The command-centre wall (maps/wall/page.py puts this file inside the page): draws the cards, rankings, trend and alerts from
   the wall's JSON (/wall.json, geo_api.stats.wall), polls it and updates in place,
   shows a lost connection until it comes back, labels the streets and communities on
   the map, and drills down to a street or community and back.

   window.gg_wall_cfg (set by the page): data (the JSON the page was built with),
   places [{code, name, level, street, lat, lon, bounds}], city_bounds, words, cards,
   locale, poll_ms (0: no polling). */
(function () {
  'use strict';
  var cfg, W, map, charts = {}, state = {code: null, data: null, seen: null, version: null};
  var GOOD_UP = {coverage: true};  // the cards where a rise is good news
  var SEVERITY_COLOURS = {high: '#ff5252', medium: '#ffa040', low: '#ffe082'};
  // The wall tells China's time and days, as its data does, whatever zone its PC is set to.
  var CHINA = 'Asia/Shanghai';

  function $(id) { return document.getElementById(id); }
  function esc(text) {
    return String(text == null ? '' : text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }
  function rem() { return parseFloat(getComputedStyle(document.documentElement).fontSize); }
  function number(key, value) {
    if (value == null) return '—';
    if (key === 'coverage') return value.toFixed(1) + '%';
    return Number(value).toLocaleString(cfg.locale);
  }

  function delta(key, change, label) {
    if (change == null) return '<span class="gg-delta flat">' + esc(label) + ' —</span>';
    var good = GOOD_UP[key] ? change > 0 : change < 0;
    var cls = change === 0 ? 'flat' : (good ? 'good' : 'bad');
    var arrow = change > 0 ? '▲' : (change < 0 ? '▼' : '■');
    var shown = key === 'coverage' ? Math.abs(change).toFixed(1) : Math.abs(change);
    return '<span class="gg-delta ' + cls + '" data-delta="' + cls + '">' + esc(label) + ' '
      + arrow + ' ' + shown + '</span>';
  }

  function drawCards(data) {
    var html = '';
    cfg.cards.forEach(function (key, i) {
      var card = data.cards[key];
      var sev = key.indexOf('gaps_') === 0 ? ' sev sev-' + key.slice(5) : '';
      html += '<div class="gg-card' + (i === 0 ? ' main' : '') + sev + '" data-card="' + key
        + '"><div class="label">' + esc(W['card.' + key]) + '</div>'
        + '<div class="value">' + number(key, card.value) + '</div>'
        + '<div class="deltas">' + delta(key, card.day, W['delta.day'])
        + delta(key, card.week, W['delta.week']) + '</div></div>';
    });
    $('gg-cards').innerHTML = html;
  }

  // A moment as China's month, day and time (alerts' "since", the data's "as of").
  function since(iso) {
    if (!iso) return '';
    return new Date(iso).toLocaleString(cfg.locale, {
      timeZone: CHINA, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit'});
  }

  // Who must act: the role, and the person's (masked unless an admin reads) or the
  // community's name and the person's phone.
  function who(w) {
    return [W['who.' + w.role] || w.role, w.name, w.phone].filter(Boolean).join(' ');
  }

  function drawAlerts(data) {
    var fresh = state.seen;  // ids of the previous answer; null on the first
    var html = data.alerts.map(function (a) {
      var isNew = fresh !== null && fresh.indexOf(a.id) < 0;
      return '<li class="' + a.severity + (isNew ? ' fresh' : '') + '" data-alert="' + esc(a.id)
        + '"><div class="what">' + (isNew ? '<span class="new">' + esc(W['alert.new'])
        + '</span>' : '') + esc(W['gap.' + a.type] || a.type) + (a.place ? ' · '
        + esc(a.place) : '') + '</div><div class="meta">' + esc(a.detail) + '</div>'
        + '<div class="meta">' + esc(W['alert.who']) + ': ' + esc(who(a.who))
        + (a.since ? ' · ' + esc(W['alert.since']) + ' ' + since(a.since) : '') + '</div></li>';
    }).join('');
    $('gg-alert-list').innerHTML = html || '<li class="none">' + esc(W['alert.none']) + '</li>';
    state.seen = data.alerts.map(function (a) { return a.id; });
  }

  function axisText() {
    return {color: '#c9d8e6', fontSize: Math.round(rem() * 0.95)};
  }

  function barChart(id, rows, value, colour, unit) {
    var top = rows.slice(0, 8).reverse();
    var chart = charts[id] || (charts[id] = echarts.init($(id), null, {renderer: 'canvas'}));
    chart.setOption({
      animation: false,
      grid: {left: 8, right: rem() * 3.5, top: 4, bottom: 4, containLabel: true},
      xAxis: {type: 'value', show: false, max: unit === '%' ? 100 : null},
      yAxis: {type: 'category', data: top.map(function (r) { return r.name; }),
              axisLabel: axisText(), axisLine: {lineStyle: {color: '#2b6ea3'}}},
      series: [{type: 'bar', data: top.map(function (r) {
                  // The place on show stands out among its neighbours.
                  return r.code === state.code ? {value: r[value], itemStyle: {color: '#ffd54f'}}
                    : r[value];
                }),
                itemStyle: {color: colour}, barWidth: '62%',
                label: {show: true, position: 'right', color: '#fff',
                        fontSize: Math.round(rem() * 0.95),
                        formatter: function (p) { return p.value + unit; }}}]
    }, true);
    chart.off('click');
    chart.on('click', function (p) { drill(top[p.dataIndex].code); });
  }

  function drawRanking(data) {
    var communities = function (rows) {
      return rows.filter(function (r) { return r.level === 'community'; });
    };
    barChart('gg-chart-cov', communities(data.ranking.coverage), 'coverage', '#42a5f5', '%');
    barChart('gg-chart-gaps', communities(data.ranking.gaps), 'gaps', '#ff7043', '');
    var streets = data.ranking.coverage.filter(function (r) { return r.level === 'street'; });
    $('gg-streets-box').style.display = streets.length ? '' : 'none';
    $('gg-streets').innerHTML = streets.map(function (r) {
      return '<button data-code="' + r.code + '">' + esc(r.name) + '<b>' + r.coverage.toFixed(1)
        + '%</b></button>';
    }).join('');
  }

  function drawTrend(data) {
    var t = data.trend;
    var chart = charts.trend || (charts.trend = echarts.init($('gg-chart-trend')));
    var size = Math.round(rem() * 0.95);
    chart.setOption({
      animation: false,
      legend: {top: 0, textStyle: {color: '#c9d8e6', fontSize: size}, itemWidth: size * 1.4,
               itemHeight: size * 0.8},
      grid: {left: 8, right: 8, top: size * 2.2, bottom: 4, containLabel: true},
      xAxis: {type: 'category', data: t.days.map(function (d) { return d.slice(5); }),
              axisLabel: axisText(), axisLine: {lineStyle: {color: '#2b6ea3'}}},
      yAxis: [{type: 'value', min: function (v) { return Math.max(0, Math.floor(v.min - 5)); },
               max: 100, axisLabel: axisText(), splitLine: {lineStyle: {color: '#1f3a52'}}},
              {type: 'value', axisLabel: axisText(), splitLine: {show: false}}],
      series: [
        {name: W['card.coverage'], type: 'line', data: t.coverage, yAxisIndex: 0,
         lineStyle: {width: 3}, symbolSize: size * 0.5, itemStyle: {color: '#42a5f5'}},
        {name: W['card.gaps_high'], type: 'line', data: t.gaps_high, yAxisIndex: 1,
         lineStyle: {width: 3}, symbolSize: size * 0.5, itemStyle: {color: '#ff5252'}}
      ]
    }, true);
  }

  function place(code) {
    for (var i = 0; i < cfg.places.length; i++) {
      if (cfg.places[i].code === code) return cfg.places[i];
    }
    return null;
  }

  function drawWhere(data) {
    var here = data.place, parts = [W['place.city']];
    if (here.level !== 'city') {
      var p = place(here.code);
      if (p && p.street) parts.push(place(p.street).name);
      parts.push(p ? p.name : here.name);
    }
    $('gg-where').textContent = parts.join(' › ');
    $('gg-back').classList.toggle('shown', here.level !== 'city');
    $('gg-status').textContent = data.as_of ? W['as_of'] + ' ' + since(data.as_of) : '';
  }

  function draw(data) {
    state.data = data;
    drawWhere(data);
    drawCards(data);
    drawRanking(data);
    drawTrend(data);
    drawAlerts(data);
    window.gg_wall_data = data;
  }

  function offline(isOff) {
    $('gg-offline').classList.toggle('shown', isOff);
    window.gg_wall_offline = isOff;
  }

  // One poll: the figures of the place on show; a failure shows the banner until the
  // next answer comes.
  function poll() {
    var url = cfg.url + (state.code ? '?code=' + encodeURIComponent(state.code) : '');
    return fetch(url, {cache: 'no-store', credentials: 'same-origin'}).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (data) {
      offline(false);
      if (data.place.code !== (state.code || data.place.code)) return;  // drilled since
      state.version = data.version;
      draw(data);
      window.gg_wall_polls = (window.gg_wall_polls || 0) + 1;
    }).catch(function () { offline(true); });
  }

  function fit(bounds) {
    var left = $('gg-left').getBoundingClientRect().right + rem();
    var right = window.innerWidth - $('gg-right').getBoundingClientRect().left + rem();
    var top = $('gg-top').getBoundingClientRect().bottom + rem();
    // Not animated: a wall has nobody to watch the glide, and tests read the final view.
    map.fitBounds(bounds, {paddingTopLeft: [left, top], paddingBottomRight: [right, rem() * 3],
                           animate: false});
  }

  function drill(code) {
    var p = code ? place(code) : null;
    state.code = p ? p.code : null;
    state.seen = null;  // a new place: none of its alerts is "new"
    fit(p ? p.bounds : cfg.city_bounds);
    labelsFor(p);
    if (cfg.live) return poll();
    draw(cfg.data);  // a saved page has only the city's figures
    return Promise.resolve();
  }

  var labels = [];
  function labelsFor(p) {
    // The city shows its streets and communities; a street or community its communities.
    labels.forEach(function (l) { l.remove(); });
    labels = cfg.places.filter(function (q) {
      if (!p) return true;
      return q.level === 'community' && (q.street === (p.street || p.code));
    }).map(function (q) {
      var icon = L.divIcon({className: 'gg-place-label ' + q.level,
                            html: '<span data-place="' + q.code + '">' + esc(q.name) + '</span>',
                            iconSize: null});
      var m = L.marker([q.lat, q.lon], {icon: icon, keyboard: false, pane: 'gg-labels',
                                        zIndexOffset: q.level === 'street' ? 1000 : 0});
      m.on('click', function () { drill(q.code); });
      return m.addTo(map);
    });
  }

  function tick() {
    var now = new Date();
    $('gg-clock-time').textContent = now.toLocaleTimeString(cfg.locale,
                                                           {timeZone: CHINA, hour12: false});
    $('gg-clock-date').textContent = now.toLocaleDateString(cfg.locale, {timeZone: CHINA,
      year: 'numeric', month: 'long', day: 'numeric', weekday: 'long'});
  }

  function start() {
    cfg = window.gg_wall_cfg;
    W = cfg.words;
    map = window.gg_map;
    cfg.live = location.protocol.indexOf('http') === 0 && cfg.poll_ms > 0;
    // Beside the page's own path, wherever the server mounts gridgov.
    cfg.url = location.pathname.replace(/\/maps\/.*$/, '/wall.json');
    document.body.classList.add('gg-wall');
    tick();
    setInterval(tick, 1000);
    $('gg-back').addEventListener('click', function () {
      var p = place(state.code);
      drill(p && p.level === 'community' ? p.street : null);
    });
    $('gg-streets').addEventListener('click', function (e) {
      var b = e.target.closest('button');
      if (b) drill(b.getAttribute('data-code'));
    });
    // The boxes settle once the fonts are in: each chart follows its box's size.
    var resize = function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      // A panel that grew after the first fit (fonts in, a longer English ranking) must
      // not cover the city: fit the place shown again.
      var p = state.code ? place(state.code) : null;
      fit(p ? p.bounds : cfg.city_bounds);
    };
    window.addEventListener('resize', resize);
    if (window.ResizeObserver) {
      var panels = new ResizeObserver(resize);
      ['gg-left', 'gg-right', 'gg-top'].forEach(function (id) { panels.observe($(id)); });
    }
    document.fonts.ready.then(resize);
    window.gg_wall_poll = poll;
    window.gg_wall_drill = drill;
    // Names above the stations and gaps (markers: 600), under tooltips and popups.
    map.createPane('gg-labels').style.zIndex = 640;
    fit(cfg.city_bounds);
    labelsFor(null);
    draw(cfg.data);
    state.seen = null;
    if (cfg.live) {
      setInterval(poll, cfg.poll_ms);
      poll().then(function () { window.gg_wall_ready = true; });
    } else {
      window.gg_wall_ready = true;
    }
  }

  window.addEventListener('load', start);
})();

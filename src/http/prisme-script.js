// Footfall's tracker for Prisme tags: <script defer src="https://footfall.example/static/wa.js"></script>.
// Written for Footfall; it speaks Prisme's events API and reads the same data-* attributes as Prisme's
// own wa.js, so an existing tag keeps working when its host points at Footfall. Served minified.
(function (win, doc) {
  'use strict';
  var script = doc.currentScript;
  if (!script) return;
  var data = script.dataset;
  var loc = win.location;
  var server = new URL(data.prismeUrl || script.src, loc.href);
  var base = (data.prismeUrl ? server.origin + server.pathname : server.origin).replace(/\/+$/, '');
  var eventsUrl = base + '/api/v1/events';
  var domain = data.domain || loc.host;
  var firstPath = data.path || loc.pathname;
  // As Prisme's tag: data-manual counts only with a value other than "false".
  var manual = !!data.manual && data.manual !== 'false';
  var defaultVisitorId = data.visitorId;
  var outboundLinks = data.outboundLinks !== 'false';
  var fileDownloads = data.fileDownloads !== 'false';
  var defaultStatus = data.status || '200';
  // The same tag twice on one page (a theme and a plugin both add it, one as wa.js?ver=6.4): a
  // copy whose settings an earlier copy already tracks with stays idle. Tags with other settings
  // all track, as Prisme's do.
  var settings = JSON.stringify([base, domain, firstPath, manual, defaultVisitorId, outboundLinks, fileDownloads, defaultStatus]);
  var running = win.prisme && Array.isArray(win.prisme.footfall) ? win.prisme.footfall : [];
  if (running.indexOf(settings) !== -1) return;
  var optedOut = false;
  try {
    optedOut = win.localStorage.getItem('prismeAnalytics.tracking.enable') === 'false';
  } catch (e) {
    // Storage blocked (a sandboxed frame, strict privacy settings): nobody opted out here.
  }
  var previousUrl = doc.referrer.replace(loc.host, domain);
  var pageviewCount = 0;

  function ignore() {}

  // The page an event belongs to: explicit options first, then the tag's attributes, then the location.
  function pageOf(options) {
    var o = options || {};
    var pageDomain = o.domain || (manual ? loc.host : domain);
    var path = o.path || (manual || pageviewCount > 1 ? loc.pathname : firstPath);
    return {
      url: loc.protocol + '//' + pageDomain + path + loc.search,
      status: o.status || defaultStatus,
      visitorId: o.visitorId || defaultVisitorId,
    };
  }

  function post(path, page, headers, body) {
    headers['X-Prisme-Referrer'] = page.url;
    if (page.visitorId) headers['X-Prisme-Visitor-Id'] = String(page.visitorId);
    return win
      .fetch(eventsUrl + path, { method: 'POST', headers: headers, body: body, keepalive: true, referrerPolicy: 'no-referrer-when-downgrade' })
      .then(ignore, ignore);
  }

  function pageview(options) {
    if (optedOut) return;
    pageviewCount++;
    var page = pageOf(options);
    post('/pageviews', page, { 'X-Prisme-Document-Referrer': previousUrl, 'X-Prisme-Status': String(page.status) });
    previousUrl = page.url;
  }

  function trigger(name, properties, options) {
    if (optedOut) return;
    post('/custom/' + name, pageOf(options), { 'Content-Type': 'application/json' }, JSON.stringify(properties));
  }

  function onLinkClick(event) {
    if (optedOut || (event.type === 'auxclick' && event.button !== 1)) return;
    var target = event.target;
    var anchor = target instanceof Element ? target.closest('a') : null;
    if (!anchor) return;
    var href = anchor.href;
    // An SVG link's href is an SVGAnimatedString.
    if (href && typeof href === 'object') href = href.baseVal;
    if (!href) return; // an anchor with no href is no link
    var url;
    try {
      url = new URL(href, anchor.baseURI);
    } catch (e) {
      return;
    }
    // mailto:, tel:, javascript:, data:, blob: name no host; the server refuses them.
    if (!url.host) return;
    url.search = '';
    if (outboundLinks && url.host !== loc.host) post('/outbound-links', pageOf(), {}, url.href);
    if (fileDownloads && anchor.hasAttribute('download')) post('/file-downloads', pageOf(), {}, url.href);
  }

  if (!manual && (outboundLinks || fileDownloads)) {
    doc.addEventListener('click', onLinkClick);
    doc.addEventListener('auxclick', onLinkClick);
  }

  // Links that ping this server themselves (`<a ping>`, the no-JavaScript way) would count twice.
  function toThisServer(u) {
    try {
      var target = new URL(u, loc.href);
      return (target.origin + target.pathname).indexOf(base + '/') === 0;
    } catch (e) {
      return false;
    }
  }
  var pinging = doc.querySelectorAll('a[ping]');
  for (var i = 0; i < pinging.length; i++) {
    pinging[i].ping = pinging[i].ping
      .split(' ')
      .filter(function (u) {
        return !toThisServer(u);
      })
      .join(' ');
  }

  var api = { trigger: trigger, footfall: running.concat([settings]) };
  if (manual) api.pageview = pageview;
  win.prisme = api;

  if (!manual) {
    pageview();
    // Single-page apps: a pushState or a Back/Forward is a new page.
    var history = win.history;
    if (history) {
      var pushState = history.pushState;
      history.pushState = function () {
        var result = pushState.apply(history, arguments);
        pageview();
        return result;
      };
      win.addEventListener('popstate', function () {
        pageview();
      });
    }
  }
})(window, document);

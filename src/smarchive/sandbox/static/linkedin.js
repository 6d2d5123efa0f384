/* LinkedIn imitation for the smarchive sandbox (logged-in views only; the guest page is static HTML).
   The company page loads its feed from the Voyager-like API as the user scrolls; a permalink page
   renders the post embedded as HTML-escaped JSON in <code id="bpr-guid-1"> and loads more comments
   and replies on click. Every API call carries the csrf-token header LinkedIn requires (the value of
   the JSESSIONID cookie). Times are relative and Swedish; texts are cut behind "…se mer". A failed
   call (e.g. 429) leaves a retry possible and says why in data-status / data-retry-after. */
(function () {
  'use strict';

  var API = '/linkedin/voyager/api/feed/';
  var FEED_PAGE = 5;
  var COMMENTS_PAGE = 3;
  var REPLIES_PAGE = 2;
  var TRUNCATE_AT = 220;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)JSESSIONID="?([^";]+)"?/);
    return match ? match[1] : '';
  }

  function ApiError(status, retryAfter) {
    this.status = status;
    this.retryAfter = retryAfter;
  }

  function api(endpoint, params) {
    var query = Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
    return fetch(API + endpoint + '?' + query, {
      credentials: 'same-origin',
      headers: {'csrf-token': csrfToken(), 'accept': 'application/vnd.linkedin.normalized+json+2.1'}
    }).then(function (response) {
      if (!response.ok) { throw new ApiError(response.status, response.headers.get('Retry-After') || ''); }
      return response.json();
    }).then(denormalized);
  }

  // A normalized answer (the "dash" generation: entities in `included`, referred to as "*key": urn) made
  // whole again, as LinkedIn's own client does; an answer of the nested generation is returned as it is.
  function denormalized(answer) {
    if (!answer || !Array.isArray(answer.included)) { return answer; }
    var entities = {};
    answer.included.forEach(function (entity) { entities[entity.entityUrn] = entity; });
    function resolve(value) {
      if (Array.isArray(value)) { return value.map(resolve); }
      if (!value || typeof value !== 'object') { return value; }
      var whole = {};
      Object.keys(value).forEach(function (key) {
        var ref = value[key];
        if (key.charAt(0) === '*') {
          whole[key.slice(1)] = Array.isArray(ref) ? ref.map(function (u) { return resolve(entities[u]); })
            : resolve(entities[ref]);
        } else {
          whole[key] = resolve(ref);
        }
      });
      return whole;
    }
    return resolve(answer.data);
  }

  function relativeTime(ms) {
    var s = Math.max(0, Math.floor((Date.now() - ms) / 1000));
    if (s < 60) { return 'nu'; }
    if (s < 3600) { return Math.floor(s / 60) + ' min'; }
    if (s < 86400) { return Math.floor(s / 3600) + ' tim'; }
    if (s < 604800) { return Math.floor(s / 86400) + ' d'; }
    if (s < 2629800) { return Math.floor(s / 604800) + ' v'; }
    if (s < 31557600) { return Math.floor(s / 2629800) + ' mån'; }
    return Math.floor(s / 31557600) + ' år';
  }

  function textBlock(text, className) {
    var block = el('div', {'class': className, 'dir': 'ltr'});
    if (!text) { return block; }
    if (text.length <= TRUNCATE_AT) { block.textContent = text; return block; }
    block.appendChild(el('span', {'class': 'truncated'}, text.slice(0, 180) + '…'));
    var more = el('button', {'type': 'button', 'class': 'see-more', 'aria-label': 'se mer'}, '…se mer');
    more.addEventListener('click', function () { block.textContent = text; });
    block.appendChild(more);
    return block;
  }

  function images(content) {
    var list = el('div', {'class': 'update-components-image'});
    ((content && content.images) || []).forEach(function (image) {
      list.appendChild(el('img', {'src': image.url, 'width': image.width, 'height': image.height,
        'alt': image.accessibilityText || ''}));
    });
    return list;
  }

  function setBusy(node, on) {
    if (on) { node.setAttribute('aria-busy', 'true'); if ('disabled' in node) { node.disabled = true; } } else {
      node.removeAttribute('aria-busy'); if ('disabled' in node) { node.disabled = false; }
    }
  }

  function failed(node, error) {
    node.setAttribute('data-status', String(error && error.status ? error.status : 'error'));
    node.setAttribute('data-retry-after', error && error.retryAfter ? error.retryAfter : '');
  }

  function succeeded(node) {
    node.removeAttribute('data-status');
    node.removeAttribute('data-retry-after');
  }

  // A button that loads pages of a list; the token of each answer asks for the next.
  function pager(button, endpoint, params, count, onPage) {
    var start = params.start || 0;
    var token = params.token || null;
    button.addEventListener('click', function () {
      if (button.getAttribute('aria-busy') === 'true') { return; }
      setBusy(button, true);
      var query = Object.assign({}, params.query, {start: start, count: count, paginationToken: token});
      api(endpoint, query).then(function (page) {
        onPage(page.elements);
        start = page.paging.start + page.elements.length;
        token = page.metadata.paginationToken;
        succeeded(button);
        setBusy(button, false);
        if (start >= page.paging.total || !token) { button.remove(); } else { onMore(button); }
      }).catch(function (error) { failed(button, error); setBusy(button, false); });
    });
  }

  function onMore(button) {
    if (button.classList.contains('replies-toggle')) { button.textContent = 'Visa tidigare svar'; }
  }

  function author(actor, title) {
    return el('a', {'class': 'actor-name', 'href': actor.navigationUrl}, title);
  }

  function renderComment(comment, asReply) {
    var reply = asReply || !!comment.parentCommentUrn;
    var box = el('article', {'class': reply ? 'comments-comment-item reply' : 'comments-comment-item',
      'data-comment-urn': comment.urn, 'role': 'article'});
    box.appendChild(author(comment.commenter, comment.commenter.title.text));
    box.appendChild(el('time', {'class': 'comment-time'}, relativeTime(comment.createdAt)));
    box.appendChild(textBlock(comment.commentary.text, 'comments-comment-item__main-content'));
    box.appendChild(images(comment.content));
    var total = comment.socialDetail.totalSocialActivityCounts.numComments;
    if (!reply && total > 0) {
      var list = el('div', {'class': 'replies-list'});
      var button = el('button', {'type': 'button', 'class': 'replies-toggle'}, total + ' svar');
      pager(button, 'comments', {query: {q: 'replies', commentUrn: comment.urn}}, REPLIES_PAGE, function (items) {
        items.forEach(function (item) { list.appendChild(renderComment(item, true)); });
      });
      box.appendChild(list);
      box.appendChild(button);
    }
    return box;
  }

  function renderComments(update) {
    var section = el('section', {'class': 'comments-comments-list'});
    var list = el('div', {'class': 'comments-list'});
    section.appendChild(list);
    var page = update.socialDetail.comments;
    page.elements.forEach(function (comment) { list.appendChild(renderComment(comment)); });
    var shown = page.elements.length;
    if (shown < page.paging.total) {
      var button = el('button', {'type': 'button', 'class': 'comments-load-more'}, 'Läs in fler kommentarer');
      pager(button, 'comments', {query: {q: 'comments', updateUrn: update.updateMetadata.urn}, start: shown,
        token: page.metadata.paginationToken}, COMMENTS_PAGE, function (items) {
        items.forEach(function (item) { list.appendChild(renderComment(item)); });
      });
      section.appendChild(button);
    }
    return section;
  }

  function renderUpdate(update, withComments) {
    var article = el('article', {'class': 'feed-shared-update-v2', 'data-activity-urn': update.updateMetadata.urn,
      'role': 'article'});
    var head = el('div', {'class': 'update-components-actor'});
    head.appendChild(author(update.actor, update.actor.name.text));
    var link = el('a', {'class': 'update-permalink', 'href': update.permalink});
    link.appendChild(el('time', {}, relativeTime(update.createdAt) + (update.edited ? ' • Redigerat' : '')));
    head.appendChild(link);
    article.appendChild(head);
    article.appendChild(textBlock(update.commentary.text.text, 'update-components-text'));
    article.appendChild(images(update.content));
    var counts = update.socialDetail.totalSocialActivityCounts;
    article.appendChild(el('div', {'class': 'social-details-social-counts'},
      counts.numLikes + ' reaktioner · ' + counts.numComments + ' kommentarer'));
    if (withComments) { article.appendChild(renderComments(update)); }
    return article;
  }

  function companyFeed(feed) {
    var companyId = document.body.getAttribute('data-company-id');
    var start = 0;
    var token = null;
    var loading = false;
    var done = false;
    var sentinel = el('div', {'class': 'feed-sentinel'});
    feed.after(sentinel);

    function load() {
      if (loading || done) { return; }
      loading = true;
      setBusy(feed, true);
      var retry = document.querySelector('.feed-retry');
      if (retry) { retry.remove(); }
      api('updates', {companyId: companyId, q: 'companyFeed', start: start, count: FEED_PAGE, paginationToken: token})
        .then(function (page) {
          page.elements.forEach(function (update) { feed.appendChild(renderUpdate(update, false)); });
          start = page.paging.start + page.elements.length;
          token = page.metadata.paginationToken;
          if (start >= page.paging.total || !token) {
            done = true;
            sentinel.replaceWith(el('div', {'class': 'feed-end'}, 'Inga fler inlägg'));
          }
        })
        .catch(function (error) {
          var button = el('button', {'type': 'button', 'class': 'feed-retry'}, 'Försök igen');
          failed(button, error);
          button.addEventListener('click', load);
          feed.after(button);
        })
        .then(function () { loading = false; setBusy(feed, false); });
    }

    function nearBottom() {
      if (document.querySelector('.feed-retry')) { return; }  // after a failure, only the button retries
      if (sentinel.isConnected && sentinel.getBoundingClientRect().top < window.innerHeight + 400) { load(); }
    }

    window.addEventListener('scroll', nearBottom, {passive: true});
    load();
  }

  function embedded() {
    var blob = document.getElementById('bpr-guid-1');
    if (!blob) { return null; }
    try { return denormalized(JSON.parse(blob.textContent)); } catch (e) { return null; }
  }

  function main() {
    var feed = document.getElementById('feed');
    var view = document.body.getAttribute('data-view');
    if (!feed) { return; }
    if (view === 'company') { companyFeed(feed); }
    if (view === 'permalink') {
      var update = embedded();
      if (update) { feed.appendChild(renderUpdate(update, true)); }
    }
  }

  main();
}());

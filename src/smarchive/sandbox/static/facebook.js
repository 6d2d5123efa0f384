/* Facebook imitation for the smarchive sandbox: renders posts from the embedded JSON and the
   GraphQL-like API, loads more on scroll, expands comments and replies on click. Plain ES5-ish
   DOM code, no framework. Exact ids and times are kept in data-* attributes; the visible time is
   relative and Swedish like on the real site. Videos play through MediaSource (byte-range
   segments) when the browser supports it, else from the progressive file. Logged out, comments
   stop after the first with a login prompt. */
(function () {
  'use strict';

  var GRAPHQL = '/facebook/api/graphql/';
  var DOC_TIMELINE = 'ProfileCometTimelineFeedRefetchQuery';
  var DOC_COMMENTS = 'CommentsListComponentsPaginationQuery';
  var DOC_REPLIES = 'Depth1CommentsListPaginationQuery';
  var PAGE_SIZE = 3;
  var TRUNCATE_AT = 400;
  var MONTHS = ['januari', 'februari', 'mars', 'april', 'maj', 'juni', 'juli', 'augusti',
    'september', 'oktober', 'november', 'december'];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function gql(docId, variables) {
    var body = 'doc_id=' + encodeURIComponent(docId) + '&variables=' + encodeURIComponent(JSON.stringify(variables));
    return fetch(GRAPHQL, {
      method: 'POST', credentials: 'same-origin', body: body,
      headers: {'Content-Type': 'application/x-www-form-urlencoded'}
    }).then(function (response) {
      if (!response.ok) {
        var error = new Error('HTTP ' + response.status);
        error.retryAfter = parseInt(response.headers.get('Retry-After') || '0', 10) || 0;
        throw error;
      }
      return response.json();
    }).then(function (payload) {
      if (!payload.data || !payload.data.node) { throw new Error('GraphQL error'); }
      return payload.data.node;
    });
  }

  function stockholmParts(date) {
    try {
      var parts = {};
      new Intl.DateTimeFormat('en-US', {timeZone: 'Europe/Stockholm', year: 'numeric', month: 'numeric', day: 'numeric'})
        .formatToParts(date).forEach(function (p) { parts[p.type] = parseInt(p.value, 10); });
      return parts;
    } catch (e) {
      return {year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate()};
    }
  }

  function visibleTime(epoch) {
    var seconds = Math.floor(Date.now() / 1000) - epoch;
    if (seconds < 60) { return 'Just nu'; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + ' min'; }
    if (seconds < 86400) { return Math.floor(seconds / 3600) + ' tim'; }
    var days = Math.floor(seconds / 86400);
    if (days < 7) { return days === 1 ? '1 dag' : days + ' dagar'; }
    var when = stockholmParts(new Date(epoch * 1000));
    var now = stockholmParts(new Date());
    var text = when.day + ' ' + MONTHS[when.month - 1];
    return when.year === now.year ? text : text + ' ' + when.year;
  }

  function timeElement(epoch) {
    return el('abbr', {'class': 'timestamp', 'data-utime': String(epoch)}, visibleTime(epoch));
  }

  // Long texts are cut behind "Visa mer", like the real site (the JSON always holds all of it).
  function textBlock(text, className) {
    var block = el('div', {'class': className});
    if (!text) { return block; }
    if (text.length <= TRUNCATE_AT) { block.textContent = text; return block; }
    var shown = el('span', {}, text.slice(0, 300) + '… ');
    var more = el('button', {'type': 'button', 'class': 'see-more'}, 'Visa mer');
    more.addEventListener('click', function () { block.textContent = text; });
    block.appendChild(shown);
    block.appendChild(more);
    return block;
  }

  var MSE_TYPE = 'video/mp4; codecs="avc1.64001F, mp4a.40.2"';
  var SEGMENT = 16384;

  function mediaSourceWorks() {
    return !!(window.MediaSource && window.MediaSource.isTypeSupported &&
      window.MediaSource.isTypeSupported(MSE_TYPE));
  }

  // As on the real site: segments by byte range appended to a MediaSource (a blob: URL that a
  // web archive cannot replay), or, where MediaSource is missing, the progressive file itself.
  function streamInto(video, url) {
    var source = new window.MediaSource();
    video.src = URL.createObjectURL(source);
    source.addEventListener('sourceopen', function () {
      var buffer;
      try { buffer = source.addSourceBuffer(MSE_TYPE); } catch (e) { return; }
      [0, 1].forEach(function (n) {
        var range = '&bytestart=' + (n * SEGMENT) + '&byteend=' + ((n + 1) * SEGMENT - 1);
        fetch(url + range, {credentials: 'same-origin'}).then(function (r) { return r.arrayBuffer(); })
          .then(function (data) { try { buffer.appendBuffer(data); } catch (e) { /* not a real stream */ } })
          .catch(function () {});
      });
    });
  }

  function videoElement(media) {
    var video = el('video', {'controls': '', 'preload': 'auto', 'playsinline': '', 'width': 320, 'height': 240,
      'poster': media.image ? media.image.uri : '', 'data-video-id': media.id,
      'data-progressive': media.playable_url, 'aria-label': media.accessibility_caption || 'Video'});
    if (mediaSourceWorks()) { streamInto(video, media.playable_url); } else { video.src = media.playable_url; }
    return video;
  }

  function photos(attachments) {
    var box = el('div', {'class': 'photos'});
    (attachments || []).forEach(function (attachment) {
      var media = attachment.media;
      if (media && media.__typename === 'Video' && media.playable_url) {
        box.appendChild(videoElement(media));
        return;
      }
      var image = media && media.image;
      if (image) {
        box.appendChild(el('img', {'src': image.uri, 'width': image.width, 'height': image.height,
          'alt': media.accessibility_caption || '', 'data-media-id': media.id}));
      }
    });
    return box;
  }

  function loginPrompt() {
    var link = el('a', {'class': 'login-prompt', 'href': document.body.getAttribute('data-login') || '/facebook/login/'},
      'Logga in för att se fler kommentarer');
    return link;
  }

  function loggedIn() { return document.body.getAttribute('data-logged-in') === 'true'; }

  function busy(button, on) {
    if (on) { button.setAttribute('aria-busy', 'true'); button.disabled = true; } else {
      button.removeAttribute('aria-busy'); button.disabled = false;
    }
  }

  function renderComment(node) {
    var box = el('div', {'class': node.depth ? 'comment reply' : 'comment', 'data-comment-id': node.legacy_fbid,
      'data-utime': String(node.created_time), 'role': 'article'});
    box.appendChild(el('a', {'class': 'author', 'href': node.author.url}, node.author.name));
    box.appendChild(textBlock(node.body && node.body.text, 'comment-body'));
    box.appendChild(photos(node.attachments));
    var meta = el('div', {'class': 'meta'});
    meta.appendChild(timeElement(node.created_time));
    box.appendChild(meta);
    var total = node.feedback && node.feedback.replies_fields ? node.feedback.replies_fields.total_count : 0;
    if (!node.depth && total > 0 && !loggedIn()) {
      box.appendChild(loginPrompt());
    } else if (!node.depth && total > 0) {
      var replies = el('div', {'class': 'replies'});
      var button = el('button', {'type': 'button', 'class': 'replies-toggle'}, total + ' svar');
      var cursor = null;
      button.addEventListener('click', function () {
        busy(button, true);
        gql(DOC_REPLIES, {id: node.feedback.id, cursor: cursor, count: PAGE_SIZE}).then(function (comment) {
          var connection = comment.feedback.replies_connection;
          connection.edges.forEach(function (edge) { replies.appendChild(renderComment(edge.node)); });
          cursor = connection.page_info.end_cursor;
          busy(button, false);
          if (connection.page_info.has_next_page) { button.textContent = 'Visa fler svar'; } else { button.remove(); }
        }).catch(function () { busy(button, false); });
      });
      box.appendChild(replies);
      box.appendChild(button);
    }
    return box;
  }

  function renderComments(feedback) {
    var section = el('div', {'class': 'comments', 'data-feedback-id': feedback.id});
    var list = el('div', {'class': 'comment-list'});
    section.appendChild(list);
    var connection = feedback.display_comments;
    connection.edges.forEach(function (edge) { list.appendChild(renderComment(edge.node)); });
    if (connection.page_info.has_next_page && feedback.viewer_must_log_in) {
      section.appendChild(loginPrompt());
    } else if (connection.page_info.has_next_page) {
      var cursor = connection.page_info.end_cursor;
      var button = el('button', {'type': 'button', 'class': 'more-comments'}, 'Visa fler kommentarer');
      button.addEventListener('click', function () {
        busy(button, true);
        gql(DOC_COMMENTS, {id: feedback.id, cursor: cursor, count: PAGE_SIZE}).then(function (node) {
          var page = node.display_comments;
          page.edges.forEach(function (edge) { list.appendChild(renderComment(edge.node)); });
          cursor = page.page_info.end_cursor;
          busy(button, false);
          if (!page.page_info.has_next_page) { button.remove(); }
        }).catch(function () { busy(button, false); });
      });
      section.appendChild(button);
    }
    return section;
  }

  function renderStory(node) {
    var article = el('article', {'class': 'story', 'data-post-id': node.post_id,
      'data-utime': String(node.creation_time), 'role': 'article'});
    if (node.is_pinned) {
      article.setAttribute('data-pinned', 'true');
      article.appendChild(el('div', {'class': 'pinned'}, 'Fäst inlägg'));
    }
    var head = el('div', {'class': 'story-head'});
    var actor = node.actors[0];
    head.appendChild(el('a', {'class': 'author', 'href': actor.url}, actor.name));
    var link = el('a', {'class': 'permalink', 'href': node.url});
    link.appendChild(timeElement(node.creation_time));
    head.appendChild(link);
    if (node.edited_time) {
      head.appendChild(el('span', {'class': 'edited', 'title': 'Redigerat', 'data-utime': String(node.edited_time)},
        '· Redigerat'));
    }
    article.appendChild(head);
    article.appendChild(textBlock(node.message && node.message.text, 'message'));
    article.appendChild(photos(node.attachments));
    var feedback = node.feedback;
    var counts = el('div', {'class': 'counts'},
      feedback.reaction_count.count + ' reaktioner · ' + feedback.comment_count.total_count + ' kommentarer');
    article.appendChild(counts);
    article.appendChild(renderComments(feedback));
    return article;
  }

  function initialData() {
    var blob = document.getElementById('initial-data');
    if (!blob) { return null; }
    try { return JSON.parse(blob.textContent).data.node; } catch (e) { return null; }
  }

  function timeline(feed, page) {
    var connection = page.timeline_feed_units;
    var sentinel = el('div', {'class': 'sentinel'});
    var loading = false;
    feed.after(sentinel);

    function append(conn) {
      conn.edges.forEach(function (edge) { feed.appendChild(renderStory(edge.node)); });
      feed.setAttribute('data-cursor', conn.page_info.end_cursor || '');
      feed.setAttribute('data-has-next', conn.page_info.has_next_page ? 'true' : 'false');
      if (!conn.page_info.has_next_page) {
        sentinel.replaceWith(el('div', {'class': 'feed-end'}, 'Inga fler inlägg att visa'));
      }
    }

    var waitUntil = 0;

    function maybeLoad() {
      if (loading || feed.getAttribute('data-has-next') !== 'true') { return; }
      if (Date.now() < waitUntil) { window.setTimeout(maybeLoad, waitUntil - Date.now() + 10); return; }
      if (sentinel.getBoundingClientRect().top > window.innerHeight + 600) { return; }
      loading = true;
      feed.setAttribute('aria-busy', 'true');
      gql(DOC_TIMELINE, {id: page.id, cursor: feed.getAttribute('data-cursor'), count: PAGE_SIZE})
        .then(function (node) { append(node.timeline_feed_units); })
        .catch(function (error) {  // the next scroll retries; a 429 says when
          if (error && error.retryAfter) { waitUntil = Date.now() + error.retryAfter * 1000; }
        })
        .then(function () {
          loading = false;
          feed.removeAttribute('aria-busy');
          window.setTimeout(maybeLoad, 100);
        });
    }

    append(connection);
    window.addEventListener('scroll', maybeLoad, {passive: true});
    window.setTimeout(maybeLoad, 300);
  }

  function wireConsent() {
    var dialog = document.getElementById('consent');
    if (!dialog) { return; }
    document.body.classList.add('blocked');
    Array.prototype.forEach.call(dialog.querySelectorAll('button[data-consent]'), function (button) {
      button.addEventListener('click', function () {
        fetch('/facebook/consent/', {method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/x-www-form-urlencoded'},
          body: 'choice=' + encodeURIComponent(button.getAttribute('data-consent'))})
          .then(function () { window.location.reload(); });
      });
    });
  }

  function main() {
    wireConsent();
    var feed = document.getElementById('feed');
    var node = initialData();
    if (!feed || !node) { return; }
    if (document.body.getAttribute('data-view') === 'timeline') {
      timeline(feed, node);
    } else {
      feed.appendChild(renderStory(node));
    }
  }

  main();
}());

/* Instagram imitation for the smarchive sandbox. The page is an app shell: everything is rendered
   from window._sharedData and from the GraphQL-like API (GET /instagram/graphql/query/). Shows a
   cookie dialog first, a login modal when logged out, relative times ("3 v") with the exact time
   in <time datetime>, captions cut behind "mer", comments behind "Läs in fler kommentarer",
   replies behind "Visa svar (N)", carousels one image at a time, and videos by MediaSource
   unless it is unsupported (then the progressive mp4). Plain DOM code, no framework. */
(function () {
  'use strict';

  var SD = window._sharedData || {};
  var ROOT = '/instagram';
  var HASHES = SD.query_hashes || {};
  var CAPTION_CUT = 125;
  var GRID_PAGE = 4;
  var COMMENT_PAGE = 3;
  var REPLY_PAGE = 2;
  var MONTHS = ['januari', 'februari', 'mars', 'april', 'maj', 'juni', 'juli', 'augusti',
    'september', 'oktober', 'november', 'december'];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function query(hash, variables) {
    var url = ROOT + '/graphql/query/?query_hash=' + hash + '&variables=' + encodeURIComponent(JSON.stringify(variables));
    return fetch(url, {credentials: 'same-origin', headers: {'X-Requested-With': 'XMLHttpRequest'}})
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      }).then(function (payload) {
        if (payload.status !== 'ok' || !payload.data) { throw new Error('API error'); }
        return payload.data;
      });
  }

  function relative(epoch) {
    var seconds = Math.floor(Date.now() / 1000) - epoch;
    if (seconds < 60) { return 'nu'; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + ' min'; }
    if (seconds < 86400) { return Math.floor(seconds / 3600) + ' tim'; }
    if (seconds < 7 * 86400) { return Math.floor(seconds / 86400) + ' d'; }
    return Math.floor(seconds / (7 * 86400)) + ' v';
  }

  function timeElement(epoch) {
    var date = new Date(epoch * 1000);
    var title = date.getDate() + ' ' + MONTHS[date.getMonth()] + ' ' + date.getFullYear();
    return el('time', {'datetime': date.toISOString(), 'title': title}, relative(epoch));
  }

  function busy(button, on) {
    if (on) { button.setAttribute('aria-busy', 'true'); button.disabled = true; } else {
      button.removeAttribute('aria-busy'); button.disabled = false;
    }
  }

  // Long captions are cut behind "mer"; the JSON always holds all of it.
  function caption(text) {
    var block = el('span', {'class': 'caption-text'});
    if (text.length <= CAPTION_CUT) { block.textContent = text; return block; }
    block.appendChild(el('span', {}, text.slice(0, CAPTION_CUT) + '… '));
    var more = el('button', {'type': 'button', 'class': 'more'}, 'mer');
    more.addEventListener('click', function () { block.textContent = text; });
    block.appendChild(more);
    return block;
  }

  function modal(id, heading, content) {
    var backdrop = el('div', {'id': id, 'class': 'backdrop'});
    var box = el('div', {'class': 'modal', 'role': 'dialog', 'aria-modal': 'true', 'aria-labelledby': id + '-title'});
    box.appendChild(el('h2', {'id': id + '-title'}, heading));
    content.forEach(function (node) { box.appendChild(node); });
    backdrop.appendChild(box);
    document.body.appendChild(backdrop);
    return backdrop;
  }

  // The cookie dialog blocks everything until answered (either answer lifts it).
  function withConsent(render) {
    if (!SD.consent_required) { render(); return; }
    var accept = el('button', {'type': 'button', 'class': 'primary'}, 'Tillåt alla cookies');
    var decline = el('button', {'type': 'button'}, 'Avböj valfria cookies');
    var dialog = modal('consent', 'Tillåta att cookies från Instagram används i den här webbläsaren?', [
      el('p', {}, 'Vi använder cookies för att visa och förbättra innehållet och för att skydda våra tjänster.'),
      decline, accept]);
    [accept, decline].forEach(function (button) {
      button.addEventListener('click', function () {
        var choice = button === accept ? 'all' : 'essential';
        busy(button, true);
        fetch(ROOT + '/consent/', {method: 'POST', credentials: 'same-origin', body: 'choice=' + choice,
          headers: {'Content-Type': 'application/x-www-form-urlencoded'}})
          .then(function () { dialog.remove(); render(); });
      });
    });
  }

  function loginWall() {
    var next = encodeURIComponent(window.location.pathname);
    modal('login-wall', 'Logga in för att se foton och videor från dina vänner.', [
      el('a', {'class': 'button primary', 'href': ROOT + '/accounts/login/?next=' + next}, 'Logga in'),
      el('a', {'class': 'button', 'href': ROOT + '/accounts/emailsignup/'}, 'Registrera dig')]);
  }

  // --- profile

  function tile(node) {
    var link = el('a', {'class': 'tile', 'href': ROOT + '/p/' + node.shortcode + '/', 'role': 'link'});
    link.appendChild(el('img', {'src': node.thumbnail_src, 'alt': node.accessibility_caption || '',
      'loading': 'lazy', 'width': '64', 'height': '48'}));
    if (node.pinned_for_users && node.pinned_for_users.length) {
      link.appendChild(el('span', {'class': 'pin', 'aria-label': 'Fäst inlägg'}, '📌'));
    }
    if (node.__typename !== 'GraphImage') {
      link.appendChild(el('span', {'class': 'kind', 'aria-label': node.is_video ? 'Video' : 'Karusell'},
        node.is_video ? '▶' : '❐'));
    }
    return link;
  }

  function profile(main, user) {
    var media = user.edge_owner_to_timeline_media;
    var head = el('header', {'class': 'profile'});
    head.appendChild(el('h1', {}, user.username));
    head.appendChild(el('p', {'class': 'name'}, user.full_name));
    head.appendChild(el('p', {'class': 'counts'}, media.count + ' inlägg · ' + user.edge_followed_by.count + ' följare'));
    head.appendChild(el('p', {'class': 'bio'}, user.biography || ''));
    main.appendChild(head);
    var grid = el('div', {'class': 'grid', 'role': 'list'});
    main.appendChild(grid);
    if (!media.count) { main.appendChild(el('p', {'class': 'empty'}, 'Inga inlägg ännu')); return; }
    var cursor = null;
    var hasNext = false;
    var loading = false;
    var sentinel = el('div', {'class': 'sentinel'});
    main.appendChild(sentinel);

    function append(connection) {
      connection.edges.forEach(function (edge) { grid.appendChild(tile(edge.node)); });
      cursor = connection.page_info.end_cursor;
      hasNext = connection.page_info.has_next_page;
      grid.setAttribute('data-has-next', hasNext ? 'true' : 'false');
    }

    function maybeLoad() {
      if (loading || !hasNext || !SD.config.viewer) { return; }
      if (sentinel.getBoundingClientRect().top > window.innerHeight + 200) { return; }
      loading = true;
      grid.setAttribute('aria-busy', 'true');
      query(HASHES.timeline, {id: user.id, first: GRID_PAGE, after: cursor})
        .then(function (data) {
          append(data.user.edge_owner_to_timeline_media);
          window.setTimeout(maybeLoad, 100);  // fill the window, like the real grid
        })
        .catch(function () { /* throttled or failed: the next scroll tries again */ })
        .then(function () { loading = false; grid.removeAttribute('aria-busy'); });
    }

    append(media);
    window.addEventListener('scroll', maybeLoad, {passive: true});
    window.setTimeout(maybeLoad, 300);
    if (!SD.config.viewer) { loginWall(); }
  }

  // --- post

  function commentItem(node, isReply) {
    var item = el('li', {'class': isReply ? 'comment reply' : 'comment', 'role': 'listitem'});
    item.appendChild(el('a', {'class': 'user', 'href': ROOT + '/' + node.owner.username + '/'}, node.owner.username));
    item.appendChild(el('span', {'class': 'text'}, node.text));
    var meta = el('div', {'class': 'meta'});
    meta.appendChild(timeElement(node.created_at));
    if (node.edge_liked_by && node.edge_liked_by.count) {
      meta.appendChild(el('span', {}, node.edge_liked_by.count + ' gilla-markeringar'));
    }
    meta.appendChild(el('span', {'class': 'reply-to'}, 'Svara'));
    item.appendChild(meta);
    var thread = node.edge_threaded_comments;
    if (!isReply && thread && thread.count > 0) { item.appendChild(replies(node.id, thread)); }
    return item;
  }

  function replies(commentId, thread) {
    var box = el('div', {'class': 'thread'});
    var list = el('ul', {'class': 'replies'});
    var button = el('button', {'type': 'button', 'class': 'toggle'}, 'Visa svar (' + thread.count + ')');
    var cursor = thread.page_info.end_cursor;
    var loaded = 0;
    var complete = false;
    button.addEventListener('click', function () {
      if (complete) {  // all loaded: the button only hides and shows them
        list.hidden = !list.hidden;
        button.textContent = list.hidden ? 'Visa svar (' + thread.count + ')' : 'Dölj svar';
        return;
      }
      busy(button, true);
      query(HASHES.replies, {comment_id: commentId, first: REPLY_PAGE, after: cursor}).then(function (data) {
        var page = data.comment.edge_threaded_comments;
        page.edges.forEach(function (edge) { list.appendChild(commentItem(edge.node, true)); });
        loaded += page.edges.length;
        cursor = page.page_info.end_cursor;
        complete = !page.page_info.has_next_page;
        button.textContent = complete ? 'Dölj svar' : 'Visa svar (' + (thread.count - loaded) + ')';
      }).catch(function () { /* throttled: the same button tries again */ })
        .then(function () { busy(button, false); });
    });
    box.appendChild(button);
    box.appendChild(list);
    return box;
  }

  function comments(media) {
    var section = el('div', {'class': 'comments'});
    var list = el('ul', {'class': 'comment-list', 'role': 'list'});
    section.appendChild(list);
    var connection = media.edge_media_to_parent_comment;
    connection.edges.forEach(function (edge) { list.appendChild(commentItem(edge.node, false)); });
    if (!connection.page_info.has_next_page) { return section; }
    var cursor = connection.page_info.end_cursor;
    var more = el('button', {'type': 'button', 'class': 'load-more', 'aria-label': 'Läs in fler kommentarer'});
    more.innerHTML = '<svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" ' +
      'cy="12" r="10" fill="none" stroke="currentColor"/><path d="M12 7v10M7 12h10" stroke="currentColor"/></svg>';
    more.addEventListener('click', function () {
      busy(more, true);
      query(HASHES.comments, {shortcode: media.shortcode, first: COMMENT_PAGE, after: cursor}).then(function (data) {
        var page = data.shortcode_media.edge_media_to_parent_comment;
        page.edges.forEach(function (edge) { list.appendChild(commentItem(edge.node, false)); });
        cursor = page.page_info.end_cursor;
        if (!page.page_info.has_next_page) { more.remove(); }
      }).catch(function () { /* throttled: the same button tries again */ })
        .then(function () { busy(more, false); });
    });
    section.appendChild(more);
    return section;
  }

  function mediaSourceWorks() {
    return !!(window.MediaSource && window.MediaSource.isTypeSupported &&
      window.MediaSource.isTypeSupported('video/mp4; codecs="avc1.4d401e,mp4a.40.2"'));
  }

  function video(media) {
    var player = el('video', {'playsinline': '', 'muted': '', 'preload': 'auto', 'poster': media.display_url,
      'width': '64', 'height': '48'});
    if (mediaSourceWorks() && media.dash_info && media.dash_info.is_dash_eligible) {
      // Segments through MediaSource: a blob: URL, nothing a WARC can replay.
      var source = new window.MediaSource();
      player.src = URL.createObjectURL(source);
      player.setAttribute('data-delivery', 'dash');
    } else {
      player.src = media.video_url;
      player.setAttribute('data-delivery', 'progressive');
    }
    return player;
  }

  function carousel(children) {
    var box = el('div', {'class': 'carousel', 'aria-roledescription': 'karusell'});
    var index = 0;
    var image = el('img', {'src': children[0].display_url, 'alt': '', 'width': '64', 'height': '48'});
    var dots = el('div', {'class': 'dots'}, '1 / ' + children.length);
    var back = el('button', {'type': 'button', 'class': 'nav prev', 'aria-label': 'Föregående'}, '‹');
    var next = el('button', {'type': 'button', 'class': 'nav next', 'aria-label': 'Nästa'}, '›');
    function show() {  // only the current image is in the DOM: the next one loads when shown
      image.src = children[index].display_url;
      dots.textContent = (index + 1) + ' / ' + children.length;
      back.hidden = index === 0;
      next.hidden = index === children.length - 1;
      if (next.hidden) { next.remove(); } else if (!next.parentNode) { box.appendChild(next); }
    }
    back.addEventListener('click', function () { if (index > 0) { index -= 1; show(); } });
    next.addEventListener('click', function () { if (index < children.length - 1) { index += 1; show(); } });
    box.appendChild(back);
    box.appendChild(image);
    box.appendChild(dots);
    box.appendChild(next);
    back.hidden = true;
    return box;
  }

  function mediaBox(media) {
    var box = el('div', {'class': 'media'});
    if (media.is_video) {
      box.appendChild(video(media));
    } else if (media.edge_sidecar_to_children) {
      box.appendChild(carousel(media.edge_sidecar_to_children.edges.map(function (e) { return e.node; })));
    } else {
      box.appendChild(el('img', {'src': media.display_url, 'alt': media.accessibility_caption || '',
        'width': '64', 'height': '48'}));
    }
    return box;
  }

  function post(main, media) {
    var article = el('article', {'class': 'post', 'data-shortcode': media.shortcode});
    var head = el('header', {});
    head.appendChild(el('a', {'class': 'user', 'href': ROOT + '/' + media.owner.username + '/'}, media.owner.username));
    if (media.location) { head.appendChild(el('span', {'class': 'location'}, media.location.name)); }
    article.appendChild(head);
    article.appendChild(mediaBox(media));
    var body = el('div', {'class': 'body'});
    var first = el('div', {'class': 'caption'});
    first.appendChild(el('a', {'class': 'user', 'href': ROOT + '/' + media.owner.username + '/'}, media.owner.username));
    var edges = media.edge_media_to_caption.edges;
    first.appendChild(caption(edges.length ? edges[0].node.text : ''));
    if (media.caption_is_edited) { first.appendChild(el('span', {'class': 'edited'}, 'Redigerat')); }
    body.appendChild(first);
    body.appendChild(comments(media));
    body.appendChild(el('p', {'class': 'likes'}, media.edge_media_preview_like.count + ' gilla-markeringar'));
    var when = el('a', {'class': 'when', 'href': ROOT + '/p/' + media.shortcode + '/'});
    when.appendChild(timeElement(media.taken_at_timestamp));
    body.appendChild(when);
    article.appendChild(body);
    main.appendChild(article);
  }

  // --- login

  function login(main, page) {
    var form = el('form', {'id': 'loginForm', 'method': 'post'});
    form.appendChild(el('h1', {'class': 'logo'}, 'Instagram'));
    var user = el('input', {'name': 'username', 'type': 'text', 'autocomplete': 'username',
      'aria-label': 'Telefonnummer, användarnamn eller e-postadress'});
    var password = el('input', {'name': 'password', 'type': 'password', 'autocomplete': 'current-password',
      'aria-label': 'Lösenord'});
    var submit = el('button', {'type': 'submit', 'disabled': ''}, 'Logga in');
    var alert = el('p', {'id': 'slfErrorAlert', 'role': 'alert', 'hidden': ''});
    [user, password, submit, alert].forEach(function (node) { form.appendChild(node); });
    function ready() { submit.disabled = !(user.value && password.value.length >= 6); }
    user.addEventListener('input', ready);
    password.addEventListener('input', ready);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      busy(submit, true);
      var body = 'username=' + encodeURIComponent(user.value) + '&enc_password=' +
        encodeURIComponent('#PWD_INSTAGRAM_BROWSER:0:' + Math.floor(Date.now() / 1000) + ':' + password.value);
      fetch(ROOT + '/accounts/login/ajax/', {method: 'POST', credentials: 'same-origin', body: body,
        headers: {'Content-Type': 'application/x-www-form-urlencoded', 'X-Requested-With': 'XMLHttpRequest'}})
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.authenticated) { window.location.href = page.next || ROOT + '/'; return; }
          alert.textContent = answer.user ? 'Ditt lösenord var fel. Kontrollera det.' :
            'Användarnamnet du angav tillhör inget konto. Kontrollera användarnamnet och försök igen.';
          alert.hidden = false;
          busy(submit, false);
          ready();
        });
    });
    main.appendChild(form);
  }

  function feed(main, page) {
    var list = el('ul', {'class': 'feed'});
    page.accounts.forEach(function (account) {
      var item = el('li', {});
      item.appendChild(el('a', {'href': ROOT + '/' + account.username + '/'}, account.full_name));
      list.appendChild(item);
    });
    main.appendChild(list);
  }

  function main() {
    var root = document.getElementById('react-root');
    var entry = SD.entry_data || {};
    var view = document.body.getAttribute('data-view');
    withConsent(function () {
      root.textContent = '';
      var main = el('main', {'role': 'main'});
      root.appendChild(main);
      if (view === 'profile' && entry.ProfilePage) { profile(main, entry.ProfilePage[0].graphql.user); }
      if (view === 'post' && entry.PostPage) { post(main, entry.PostPage[0].graphql.shortcode_media); }
      if (view === 'login' && entry.LoginAndSignupPage) { login(main, entry.LoginAndSignupPage[0]); }
      if (view === 'feed' && entry.FeedPage) { feed(main, entry.FeedPage[0]); }
    });
  }

  main();
}());

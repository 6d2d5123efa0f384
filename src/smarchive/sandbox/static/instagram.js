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
  var DOCS = SD.query_docs || {};
  var CURRENT = SD.generation !== '2019';  // today's xdt answers (POST doc_id) or the 2019 ones (GET query_hash)
  var currentMedia = '';  // the post shown, for the xdt replies query
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

  function xdt(doc, variables) {
    var body = 'doc_id=' + doc + '&variables=' + encodeURIComponent(JSON.stringify(variables));
    return fetch(ROOT + '/graphql/query', {method: 'POST', credentials: 'same-origin', body: body,
      headers: {'Content-Type': 'application/x-www-form-urlencoded', 'X-Requested-With': 'XMLHttpRequest'}})
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      }).then(function (payload) {
        if (payload.status !== 'ok' || !payload.data) { throw new Error('API error'); }
        return payload.data;
      });
  }

  // Today's xdt dicts, turned into the nodes the page renders (the same for both generations).
  function fromXdtMedia(m) {
    var image = function (x) { return x.image_versions2.candidates[0].url; };
    var node = {id: m.pk, shortcode: m.code, taken_at_timestamp: m.taken_at, owner: m.user,
      edge_media_to_caption: {edges: m.caption ? [{node: {text: m.caption.text}}] : []},
      caption_is_edited: m.caption_is_edited, display_url: image(m), thumbnail_src: image(m),
      accessibility_caption: m.accessibility_caption, location: m.location,
      edge_media_preview_like: {count: m.like_count}, is_video: !!m.video_versions,
      pinned_for_users: m.timeline_pinned_user_ids || [],
      __typename: m.video_versions ? 'GraphVideo' : m.carousel_media ? 'GraphSidecar' : 'GraphImage'};
    if (m.video_versions) {
      node.video_url = m.video_versions[0].url;
      node.dash_info = {is_dash_eligible: m.is_dash_eligible, video_dash_manifest: m.video_dash_manifest};
    }
    if (m.carousel_media) {
      node.edge_sidecar_to_children = {edges: m.carousel_media.map(function (c) {
        return {node: {id: c.pk, display_url: image(c)}};
      })};
    }
    return node;
  }

  function fromXdtComment(c) {
    var node = {id: c.pk, text: c.text, created_at: c.created_at, owner: c.user,
      edge_liked_by: {count: c.comment_like_count}};
    if (c.child_comment_count !== undefined) {
      node.edge_threaded_comments = {count: c.child_comment_count, edges: [],
        page_info: {has_next_page: c.child_comment_count > 0, end_cursor: null}};
    }
    return node;
  }

  function fromXdt(connection, convert, count) {
    return {count: count, page_info: connection.page_info,
      edges: connection.edges.map(function (e) { return {node: convert(e.node)}; })};
  }

  var XDT = {
    timeline: ['xdt_api__v1__feed__user_timeline_graphql_connection', fromXdtMedia],
    comments: ['xdt_api__v1__media__media_id__comments__connection', fromXdtComment],
    replies: ['xdt_api__v1__media__media_id__comments__parent_comment_id__child_comments__connection', fromXdtComment]
  };

  // One page of the grid, of a post's comments or of a comment's replies, in the 2019 answer's shape.
  function load(kind, variables) {
    if (!CURRENT) { return query(HASHES[kind], variables); }
    return xdt(DOCS[kind], variables).then(function (data) {
      var page = fromXdt(data[XDT[kind][0]], XDT[kind][1]);
      if (kind === 'timeline') { return {user: {edge_owner_to_timeline_media: page}}; }
      if (kind === 'comments') { return {shortcode_media: {edge_media_to_parent_comment: page}}; }
      return {comment: {edge_threaded_comments: page}};
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
      load('timeline', {id: user.id, username: user.username, first: GRID_PAGE, after: cursor})
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
      load('replies', {comment_id: commentId, parent_comment_id: commentId, media_id: currentMedia,
        first: REPLY_PAGE, after: cursor}).then(function (data) {
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
      load('comments', {shortcode: media.shortcode, media_id: media.id, first: COMMENT_PAGE, after: cursor})
        .then(function (data) {
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
    currentMedia = media.id;
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

  // Today's pages carry their data as xdt dicts in a JSON blob: the same entries, built from it.
  function currentEntry() {
    var blob = document.querySelector('script[data-sjs]');
    var data = blob ? JSON.parse(blob.textContent).data : {};
    var entry = SD.entry_data || {};
    if (data.user) {
      var timeline = data[XDT.timeline[0]];
      var user = {id: data.user.pk, username: data.user.username, full_name: data.user.full_name,
        biography: data.user.biography, edge_followed_by: {count: data.user.follower_count},
        edge_owner_to_timeline_media: fromXdt(timeline, fromXdtMedia, data.user.media_count)};
      entry.ProfilePage = [{graphql: {user: user}}];
    }
    if (data.xdt_api__v1__media__shortcode__web_info) {
      var m = data.xdt_api__v1__media__shortcode__web_info.items[0];
      var media = fromXdtMedia(m);
      media.edge_media_to_parent_comment = fromXdt(data[XDT.comments[0]], fromXdtComment, m.comment_count);
      entry.PostPage = [{graphql: {shortcode_media: media}}];
    }
    return entry;
  }

  function main() {
    var root = document.getElementById('react-root');
    var entry = CURRENT ? currentEntry() : (SD.entry_data || {});
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

/* YouTube imitation for the smarchive sandbox. Renders the channel grid and the watch page from the
   embedded ytInitialData / ytInitialPlayerResponse, loads more through InnerTube-like POSTs when a
   continuation scrolls into view (grid, comments) or on click (replies), and plays the video through
   MediaSource when it can, else through the progressive file. Visible times are relative and Swedish;
   exact values stay in the JSON only, like on the real site. */
(function () {
  'use strict';

  var CLIENT = {client: {hl: 'sv', gl: 'SE', clientName: 'WEB', clientVersion: '2.20240101.00.00'}};
  var DESCRIPTION_CUT = 160;
  var COMMENT_CUT = 300;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function innertube(api, token) {
    return fetch(api + '?prettyPrint=false', {
      method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({context: CLIENT, continuation: token})
    }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    });
  }

  function tokenOf(item) {
    var renderer = item.continuationItemRenderer;
    var endpoint = renderer.continuationEndpoint || (renderer.button && renderer.button.buttonRenderer.command);
    return {token: endpoint.continuationCommand.token, api: endpoint.commandMetadata.webCommandMetadata.apiUrl,
      label: renderer.button ? renderer.button.buttonRenderer.text.runs[0].text : null};
  }

  // A continuation that loads when it scrolls into view; on failure it offers "Försök igen".
  function sentinel(container, item, onItems) {
    var info = tokenOf(item);
    var node = el('div', {'class': 'continuation', 'data-state': 'idle'});
    var spinner = el('span', {'class': 'spinner'}, 'Läser in …');
    node.appendChild(spinner);
    function load() {
      if (node.getAttribute('aria-busy') === 'true') { return; }
      node.setAttribute('aria-busy', 'true');
      node.setAttribute('data-state', 'loading');
      innertube(info.api, info.token).then(function (payload) {
        observer.disconnect();
        node.remove();
        onItems(payload);
      }).catch(function () {
        node.removeAttribute('aria-busy');
        node.setAttribute('data-state', 'error');
        observer.disconnect();
        var retry = el('button', {'type': 'button', 'class': 'retry'}, 'Försök igen');
        retry.addEventListener('click', function () { retry.remove(); node.setAttribute('data-state', 'idle'); load(); });
        node.appendChild(retry);
      });
    }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { load(); }
    });
    container.appendChild(node);
    observer.observe(node);
  }

  function relative(text) { return el('span', {'class': 'relative-time'}, text); }

  function truncated(text, limit, className, label) {
    var block = el('div', {'class': className});
    if (text.length <= limit) { block.textContent = text; return block; }
    block.appendChild(el('span', {'class': 'shown'}, text.slice(0, limit) + '…'));
    var more = el('button', {'type': 'button', 'class': 'expand'}, label);
    more.addEventListener('click', function () { block.textContent = text; block.classList.add('expanded'); });
    block.appendChild(more);
    return block;
  }

  // --- channel grid

  function renderLockup(item) {
    var lockup = item.richItemRenderer.content.lockupViewModel;
    var meta = lockup.metadata.lockupMetadataViewModel;
    var url = lockup.rendererContext.commandContext.onTap.innertubeCommand.commandMetadata.webCommandMetadata.url;
    var tile = el('div', {'class': 'video-tile', 'data-video-id': lockup.contentId});
    var link = el('a', {'href': url, 'class': 'thumb-link'});
    var source = lockup.contentImage.thumbnailViewModel.image.sources[0];
    link.appendChild(el('img', {'src': source.url, 'width': source.width, 'height': source.height, 'alt': ''}));
    tile.appendChild(link);
    tile.appendChild(el('a', {'href': url, 'class': 'video-title'}, meta.title.content));
    var parts = meta.metadata.contentMetadataViewModel.metadataRows[0].metadataParts;
    var line = el('div', {'class': 'video-meta'});
    line.appendChild(el('span', {'class': 'views'}, parts[0].text.content));
    line.appendChild(document.createTextNode(' • '));
    line.appendChild(relative(parts[1].text.content));
    tile.appendChild(line);
    return tile;
  }

  function renderGridItems(grid, items) {
    items.forEach(function (item) {
      if (item.richItemRenderer) { grid.appendChild(renderLockup(item)); }
      if (item.continuationItemRenderer) {
        sentinel(grid, item, function (payload) {
          renderGridItems(grid, payload.onResponseReceivedActions[0].appendContinuationItemsAction.continuationItems);
        });
      }
    });
  }

  function renderChannel(app, data) {
    var meta = data.metadata.channelMetadataRenderer;
    var header = el('section', {'class': 'channel-header'});
    header.appendChild(el('h1', {}, meta.title));
    header.appendChild(el('p', {'class': 'handle'},
      data.header.pageHeaderRenderer.content.pageHeaderViewModel.metadata.contentMetadataViewModel
        .metadataRows[0].metadataParts[0].text.content));
    app.appendChild(header);
    var tabs = el('nav', {'class': 'tabs'});
    data.contents.twoColumnBrowseResultsRenderer.tabs.forEach(function (tab) {
      tabs.appendChild(el('span', {'class': tab.tabRenderer.selected ? 'tab selected' : 'tab'}, tab.tabRenderer.title));
    });
    app.appendChild(tabs);
    var grid = el('div', {'id': 'contents', 'class': 'grid'});
    app.appendChild(grid);
    var selected = data.contents.twoColumnBrowseResultsRenderer.tabs.filter(function (t) {
      return t.tabRenderer.selected;
    })[0];
    renderGridItems(grid, selected.tabRenderer.content.richGridRenderer.contents);
  }

  // --- player

  function startPlayer(box, player) {
    var details = player.videoDetails;
    var video = el('video', {'id': 'movie_player', 'controls': '', 'preload': 'metadata', 'width': '640',
      'height': '360', 'poster': details.thumbnail.thumbnails[0].url});
    box.appendChild(video);
    var adaptive = player.streamingData.adaptiveFormats[0];
    var progressive = player.streamingData.formats[0];
    var mse = window.MediaSource;
    if (mse && mse.isTypeSupported(adaptive.mimeType)) {
      // Segments appended to a SourceBuffer: nothing a WARC can replay as a file.
      var source = new mse();
      video.setAttribute('data-playback', 'mse');
      source.addEventListener('sourceopen', function () {
        var buffer;
        try { buffer = source.addSourceBuffer(adaptive.mimeType); } catch (e) { return; }
        fetch(adaptive.url, {headers: {'Range': 'bytes=0-65535'}}).then(function (r) { return r.arrayBuffer(); })
          .then(function (data) { try { buffer.appendBuffer(data); } catch (e) { /* not a real stream */ } })
          .catch(function () { /* a broken segment leaves the player black */ });
      });
      video.src = URL.createObjectURL(source);
    } else {
      video.setAttribute('data-playback', 'progressive');
      video.src = progressive.url;
    }
  }

  // --- comments

  function entities(payload) {
    var found = {};
    var updates = payload.frameworkUpdates && payload.frameworkUpdates.entityBatchUpdate;
    ((updates && updates.mutations) || []).forEach(function (m) {
      Object.keys(m.payload || {}).forEach(function (kind) { found[m.entityKey] = m.payload[kind]; });
    });
    return found;
  }

  function renderComment(view, found, isReply) {
    var entity = found[view.commentKey];
    var toolbar = found[view.toolbarStateKey] || {};
    if (!entity) { return el('div', {'class': 'comment missing'}); }
    var props = entity.properties;
    var box = el('div', {'class': isReply ? 'comment reply' : 'comment', 'data-comment-id': props.commentId,
      'role': 'article'});
    if (view.pinnedText) { box.appendChild(el('div', {'class': 'pinned'}, '📌 ' + view.pinnedText)); }
    var head = el('div', {'class': 'comment-head'});
    head.appendChild(el('a', {'class': entity.author.isCreator ? 'author creator' : 'author',
      'href': entity.author.channelCommand.innertubeCommand.commandMetadata.webCommandMetadata.url},
      entity.author.displayName));
    head.appendChild(relative(props.publishedTime));
    box.appendChild(head);
    box.appendChild(truncated(props.content.content, COMMENT_CUT, 'comment-text', 'Läs mer'));
    var actions = el('div', {'class': 'comment-actions'});
    actions.appendChild(el('span', {'class': 'likes'}, '👍 ' + (entity.toolbar.likeCountNotliked || '')));
    if (toolbar.heartState === 'TOOLBAR_HEART_STATE_HEARTED') {
      actions.appendChild(el('span', {'class': 'heart', 'title': entity.toolbar.heartActiveTooltip}, '❤'));
    }
    box.appendChild(actions);
    return box;
  }

  // The pre-2024 generation: everything in one commentRenderer.
  function renderLegacy(renderer, isReply) {
    var box = el('div', {'class': isReply ? 'comment reply' : 'comment', 'data-comment-id': renderer.commentId,
      'role': 'article'});
    if (renderer.pinnedCommentBadge) {
      box.appendChild(el('div', {'class': 'pinned'}, '📌 ' + renderer.pinnedCommentBadge.pinnedCommentBadgeRenderer
        .label.runs[0].text));
    }
    var head = el('div', {'class': 'comment-head'});
    head.appendChild(el('a', {'class': renderer.authorIsChannelOwner ? 'author creator' : 'author',
      'href': '/youtube' + renderer.authorEndpoint.browseEndpoint.canonicalBaseUrl}, renderer.authorText.simpleText));
    head.appendChild(relative(renderer.publishedTimeText.runs[0].text));
    box.appendChild(head);
    var text = renderer.contentText.runs.map(function (r) { return r.text; }).join('');
    box.appendChild(truncated(text, COMMENT_CUT, 'comment-text', 'Läs mer'));
    var actions = el('div', {'class': 'comment-actions'});
    actions.appendChild(el('span', {'class': 'likes'}, '👍 ' + (renderer.voteCount.simpleText || '')));
    if (renderer.actionButtons) { actions.appendChild(el('span', {'class': 'heart'}, '❤')); }
    box.appendChild(actions);
    return box;
  }

  function renderReplies(box, renderer) {
    var list = el('div', {'class': 'replies', 'id': renderer.targetId});
    box.appendChild(list);
    var first = tokenOf(renderer.contents[0]);
    var label = renderer.viewReplies.buttonRenderer.text.runs[0].text;
    addReplyButton(list, first, label);
  }

  function addReplyButton(list, info, label) {
    var button = el('button', {'type': 'button', 'class': 'replies-button'}, label);
    button.addEventListener('click', function () {
      button.setAttribute('aria-busy', 'true');
      button.disabled = true;
      innertube(info.api, info.token).then(function (payload) {
        button.remove();
        var found = entities(payload);
        payload.onResponseReceivedEndpoints[0].appendContinuationItemsAction.continuationItems.forEach(function (it) {
          if (it.commentViewModel) { list.appendChild(renderComment(it.commentViewModel.commentViewModel, found, true)); }
          if (it.commentRenderer) { list.appendChild(renderLegacy(it.commentRenderer, true)); }
          if (it.continuationItemRenderer) { addReplyButton(list, tokenOf(it), tokenOf(it).label); }
        });
      }).catch(function () {
        button.removeAttribute('aria-busy');
        button.disabled = false;
        button.textContent = 'Försök igen';
        button.classList.add('retry');
      });
    });
    list.appendChild(button);
  }

  function renderThreads(list, items, found) {
    items.forEach(function (item) {
      if (item.commentThreadRenderer) {
        var thread = item.commentThreadRenderer;
        var wrap = el('div', {'class': 'thread'});
        wrap.appendChild(thread.comment ? renderLegacy(thread.comment.commentRenderer, false)
          : renderComment(thread.commentViewModel.commentViewModel, found, false));
        if (thread.replies) { renderReplies(wrap, thread.replies.commentRepliesRenderer); }
        list.appendChild(wrap);
      }
      if (item.continuationItemRenderer) {
        sentinel(list, item, function (payload) { onComments(list, payload); });
      }
    });
  }

  function onComments(list, payload) {
    var found = entities(payload);
    payload.onResponseReceivedEndpoints.forEach(function (endpoint) {
      var command = endpoint.reloadContinuationItemsCommand || endpoint.appendContinuationItemsAction;
      command.continuationItems.forEach(function (item) {
        if (item.commentsHeaderRenderer) {
          var runs = item.commentsHeaderRenderer.countText.runs;
          document.getElementById('comments-header').textContent = runs.map(function (r) { return r.text; }).join('');
        }
      });
      renderThreads(list, command.continuationItems.filter(function (i) { return !i.commentsHeaderRenderer; }), found);
    });
  }

  function renderWatch(app, player, data) {
    if (!player.playabilityStatus || player.playabilityStatus.status !== 'OK') {
      app.appendChild(el('div', {'class': 'player-error', 'role': 'alert'},
        (player.playabilityStatus && player.playabilityStatus.reason) || 'Videon är inte tillgänglig'));
      return;
    }
    var box = el('div', {'id': 'player'});
    app.appendChild(box);
    startPlayer(box, player);
    var results = data.contents.twoColumnWatchNextResults.results.results.contents;
    var primary = results[0].videoPrimaryInfoRenderer;
    var secondary = results[1].videoSecondaryInfoRenderer;
    app.appendChild(el('h1', {'class': 'title'}, primary.title.runs.map(function (r) { return r.text; }).join('')));
    var owner = secondary.owner.videoOwnerRenderer.title.runs[0];
    app.appendChild(el('a', {'class': 'owner', 'href': '/youtube' + owner.navigationEndpoint.browseEndpoint.canonicalBaseUrl},
      owner.text));
    var info = el('div', {'id': 'description'});
    var line = el('div', {'class': 'info'});
    line.appendChild(el('span', {}, primary.viewCount.videoViewCountRenderer.viewCount.simpleText + ' • '));
    line.appendChild(relative(primary.relativeDateText.simpleText));
    info.appendChild(line);
    info.appendChild(truncated(secondary.attributedDescription.content, DESCRIPTION_CUT, 'description-text',
      secondary.showMoreText.simpleText));
    app.appendChild(info);
    var section = el('section', {'id': 'comments'});
    section.appendChild(el('h2', {'id': 'comments-header'}, 'Kommentarer'));
    var list = el('div', {'id': 'comment-list'});
    section.appendChild(list);
    app.appendChild(section);
    renderThreads(list, results[2].itemSectionRenderer.contents, {});
  }

  var app = document.getElementById('app');
  var page = document.body.getAttribute('data-page');
  if (page === 'channel' && window.ytInitialData) { renderChannel(app, window.ytInitialData); }
  if (page === 'watch' && window.ytInitialPlayerResponse) {
    renderWatch(app, window.ytInitialPlayerResponse, window.ytInitialData || {});
  }
}());

// The chat simulator: sends what the user types to /api/ask and what they tap to /api/postback — the same
// pipeline LINE messages go through — and draws the LINE message objects that come back, roughly as LINE does.
// Everything the bot says is inserted as text (never as HTML), and only http(s)/tel/line links are followed.
"use strict";

(() => {
  const log = document.getElementById("log");
  const quick = document.getElementById("quick");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const language = document.getElementById("lang");
  const USER_KEY = "laborbot-simulator-user";
  // The menu button's label per reply language; the menu opens in the language the conversation is in.
  const MENU_LABELS = { "zh-TW": "選單", en: "Menu", id: "Menu", vi: "Menu", th: "เมนู" };
  const DEBUG = new URLSearchParams(location.search).has("debug");
  let busy = false;
  let replyLanguage = null;

  // A conversation's state (an eligibility check under way) is kept per user id, so the page keeps one.
  function newUserId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = "sim-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem(USER_KEY, id);
    return id;
  }
  let userId = sessionStorage.getItem(USER_KEY) || newUserId();

  // --- talking to the bot ------------------------------------------------------------------------------------

  async function call(path, payload) {
    if (busy) return;
    busy = true;
    const typing = addTyping();
    try {
      const response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...payload, user_id: userId, lang: language.value || null }),
      });
      typing.remove();
      if (!response.ok) {
        const notices = { 503: "系統正在載入資料，請過幾秒再試。", 429: "訊息傳得太快了，請稍等一分鐘再試。" };
        addNotice(notices[response.status] || `發生錯誤（HTTP ${response.status}）。`);
        return;
      }
      showReply(await response.json());
    } catch (error) {
      typing.remove();
      addNotice("連不上伺服器，請稍後再試。");
    } finally {
      busy = false;
    }
  }

  function sendText(text) {
    text = text.trim();
    if (!text || busy) return;
    setQuickReplies([]);
    addUserBubble(text);
    call("/api/ask", { text });
  }

  function sendPostback(data, displayText) {
    if (busy) return;
    setQuickReplies([]);
    if (displayText) addUserBubble(displayText);
    call("/api/postback", { data });
  }

  function runAction(action) {
    if (!action) return;
    if (action.type === "postback") sendPostback(action.data, action.displayText || action.text);
    else if (action.type === "message") sendText(action.text);
    else if (action.type === "location") openPlacePicker();
  }

  // --- sharing a location: LINE sends the phone's position; here a district's centre or typed coordinates ---------

  const picker = document.getElementById("place-picker");
  const districtSelect = document.getElementById("district");
  const coordinates = document.getElementById("coordinates");

  async function openPlacePicker() {
    if (!districtSelect.options.length) {
      const response = await fetch("/api/districts");
      if (response.ok) {
        for (const district of await response.json()) {
          const option = el("option", "", district.name);
          option.value = `${district.latitude},${district.longitude}`;
          districtSelect.appendChild(option);
        }
      }
    }
    coordinates.value = "";
    picker.showModal();
  }

  picker.addEventListener("close", () => {
    if (picker.returnValue !== "send" || busy) return;
    const typed = coordinates.value.split(",").map((part) => Number(part.trim()));
    const [latitude, longitude] = typed.length === 2 && typed.every(Number.isFinite)
      ? typed : districtSelect.value.split(",").map(Number);
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return;
    setQuickReplies([]);
    const label = coordinates.value.trim() ? `📍 ${latitude}, ${longitude}` : `📍 ${districtSelect.selectedOptions[0].textContent}`;
    addUserBubble(label);
    call("/api/location", { latitude, longitude });
  });

  // --- the conversation --------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function append(node) {
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function addUserBubble(text) {
    const row = el("div", "row user");
    row.appendChild(el("div", "bubble text", text));
    append(row);
  }

  function addTyping() {
    const row = el("div", "row bot typing");
    row.appendChild(el("div", "avatar", "勞"));
    row.appendChild(el("div", "bubble text", "…"));
    return append(row);
  }

  function addNotice(text) {
    append(el("div", "notice", text));
  }

  function showReply(reply) {
    replyLanguage = reply.language;
    let first = null;
    for (const message of reply.messages) {
      const row = el("div", "row bot");
      first = first || row;
      row.appendChild(el("div", "avatar", "勞"));
      const content = message.type === "flex" ? renderFlex(message)
        : message.type === "location" ? renderLocation(message) : renderText(message);
      row.appendChild(content);
      append(row);
    }
    if (DEBUG) {  // what the bot decided, for staff trying it out (?debug=1); citizens do not see it
      const top = reply.matches[0];
      const meta = [reply.kind, reply.language, top ? `${top.service_id || top.title} (${top.score.toFixed(2)})` : ""];
      append(el("div", "meta", meta.filter(Boolean).join(" · ")));
    }
    const last = reply.messages[reply.messages.length - 1];
    setQuickReplies((last && last.quickReply && last.quickReply.items) || []);
    // The quick-reply bar has just taken its room: show the reply from its start (a long card from its title),
    // or, when it fits, all of it above the bar.
    if (first && log.scrollHeight - first.offsetTop > log.clientHeight) log.scrollTop = first.offsetTop - 8;
    else log.scrollTop = log.scrollHeight;
  }

  function setQuickReplies(items) {
    quick.replaceChildren();
    for (const item of items) {
      const chip = el("button", "chip", item.action.label);
      chip.type = "button";
      chip.addEventListener("click", () => runAction(item.action));
      quick.appendChild(chip);
    }
    quick.hidden = items.length === 0;
  }

  // Phone numbers become tel: links, as LINE makes them tappable.
  const PHONE = /(0800-\d{3}-\d{3}|0\d{1,2}-\d{3,4}-\d{4}(?: 分機 \d+)?|\b1955\b|\b1999\b)/g;

  function renderText(message) {
    const bubble = el("div", "bubble text");
    let last = 0;
    for (const match of message.text.matchAll(PHONE)) {
      bubble.appendChild(document.createTextNode(message.text.slice(last, match.index)));
      const link = el("a", "", match[0]);
      link.href = "tel:" + match[0].replace(/ 分機 /, ",").replace(/-/g, "");
      bubble.appendChild(link);
      last = match.index + match[0].length;
    }
    bubble.appendChild(document.createTextNode(message.text.slice(last)));
    return bubble;
  }

  // A location message: LINE shows a map preview that opens the map; here a card with the map link.
  function renderLocation(message) {
    const card = el("a", "bubble location");
    card.href = `https://www.google.com/maps/search/?api=1&query=${message.latitude},${message.longitude}`;
    card.target = "_blank";
    card.rel = "noopener";
    card.appendChild(el("strong", "", "📍 " + message.title));
    card.appendChild(el("span", "", message.address));
    return card;
  }

  // --- Flex messages → HTML ----------------------------------------------------------------------------------

  const SPACING = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  const TEXT_SIZE = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, "3xl": 35, "4xl": 48, "5xl": 74 };
  const BUBBLE_WIDTH = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386 };

  function length(value, scale) {
    if (value === undefined) return null;
    if (scale && value in scale) return scale[value] + "px";
    return /^\d+(\.\d+)?(px|%)$/.test(value) ? value : null;
  }

  function safeUri(uri) {
    return /^(https?:|tel:|line:)/i.test(uri || "") ? uri : null;
  }

  function renderFlex(message) {
    const container = message.contents;
    const wrapper = el("div", "flex-container");
    wrapper.title = message.altText;  // what the notification would say
    const bubbles = container.type === "carousel" ? container.contents : [container];
    for (const bubble of bubbles) wrapper.appendChild(renderBubble(bubble));
    return wrapper;
  }

  function renderBubble(bubble) {
    const node = el("div", "flex-bubble");
    node.style.maxWidth = (BUBBLE_WIDTH[bubble.size || "mega"] || 300) + "px";
    const styles = bubble.styles || {};
    for (const part of ["header", "hero", "body", "footer"]) {
      if (!bubble[part]) continue;
      const block = el("div", "flex-block " + part);
      if (styles[part] && styles[part].backgroundColor) block.style.backgroundColor = styles[part].backgroundColor;
      block.appendChild(renderComponent(bubble[part], "vertical"));
      node.appendChild(block);
    }
    return node;
  }

  function renderComponent(component, parentLayout) {
    const render = { box: renderBox, text: renderFlexText, button: renderButton, separator: renderSeparator,
                     filler: () => el("div", "flex-filler"), span: renderFlexText }[component.type];
    const node = render ? render(component) : el("div");
    const margin = length(component.margin, SPACING);
    if (margin) node.style[parentLayout === "vertical" ? "marginTop" : "marginLeft"] = margin;
    if (component.flex !== undefined) node.style.flex = `${component.flex} ${component.flex === 0 ? 0 : 1} auto`;
    return component.action && component.type !== "button" ? actionable(node, component.action) : node;
  }

  function renderBox(box) {
    const node = el("div", "flex-box " + box.layout);
    const gap = length(box.spacing, SPACING);
    if (gap) node.style.gap = gap;
    for (const side of ["All", "Top", "Bottom", "Start", "End"]) {
      const value = length(box["padding" + side], SPACING);
      if (!value) continue;
      if (side === "All") node.style.padding = value;
      else node.style[{ Top: "paddingTop", Bottom: "paddingBottom", Start: "paddingLeft", End: "paddingRight" }[side]] = value;
    }
    if (box.backgroundColor) node.style.backgroundColor = box.backgroundColor;
    if (box.cornerRadius) node.style.borderRadius = length(box.cornerRadius, SPACING);
    for (const child of box.contents || []) node.appendChild(renderComponent(child, box.layout));
    return node;
  }

  function renderFlexText(text) {
    const node = el("div", "flex-text" + (text.wrap ? " wrap" : ""));
    if (text.contents && text.contents.length) {
      for (const span of text.contents) node.appendChild(renderSpan(span));
    } else {
      node.textContent = text.text || "";
    }
    node.style.fontSize = length(text.size || "md", TEXT_SIZE);
    if (text.color) node.style.color = text.color;
    if (text.weight === "bold") node.style.fontWeight = "700";
    if (text.align) node.style.textAlign = { start: "left", end: "right", center: "center" }[text.align];
    if (text.maxLines) {  // LINE ends a text past its maxLines with "…"
      node.classList.add("clamped");
      node.style.webkitLineClamp = String(text.maxLines);
    }
    return node;
  }

  function renderSpan(span) {
    const node = el("span", "", span.text);
    if (span.color) node.style.color = span.color;
    if (span.weight === "bold") node.style.fontWeight = "700";
    if (span.size) node.style.fontSize = length(span.size, TEXT_SIZE);
    return node;
  }

  function renderButton(button) {
    const style = button.style || "link";
    const uri = button.action.type === "uri" ? safeUri(button.action.uri) : null;
    const node = uri ? el("a", "flex-button " + style) : el("button", "flex-button " + style);
    node.textContent = button.action.label || "";
    if (button.height === "sm") node.classList.add("small");
    if (button.color) {
      if (style === "link") node.style.color = button.color;
      else node.style.backgroundColor = button.color;
    }
    if (uri) {
      node.href = uri;
      if (/^https?:/i.test(uri)) { node.target = "_blank"; node.rel = "noopener noreferrer"; }
    } else {
      node.type = "button";
      node.addEventListener("click", () => {
        // 👍/👎 rate an answer once: both buttons of that card are spent, as the thanks says
        if (isFeedback(button.action)) {
          const bubble = node.closest(".flex-bubble");
          for (const other of bubble ? bubble.querySelectorAll("button.flex-button") : [node]) {
            if (other.dataset.feedback) other.disabled = true;
          }
        }
        runAction(button.action);
      });
      if (isFeedback(button.action)) node.dataset.feedback = "1";
    }
    return node;
  }

  function isFeedback(action) {
    return action.type === "postback" && /(^|&)a=fb(&|$)/.test(action.data || "");
  }

  function renderSeparator(separator) {
    const node = el("hr", "flex-separator");
    if (separator.color) node.style.borderColor = separator.color;
    return node;
  }

  // A tappable text or box: a link for uri actions (wrapping it without changing the layout), else a button.
  function actionable(node, action) {
    const uri = action.type === "uri" ? safeUri(action.uri) : null;
    if (uri) {
      const link = el("a", "actionable");
      link.href = uri;
      link.style.display = "contents";
      link.appendChild(node);
      return link;
    }
    node.classList.add("actionable");
    node.tabIndex = 0;
    node.setAttribute("role", "button");
    node.addEventListener("click", () => runAction(action));
    return node;
  }

  // --- the page ----------------------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    sendText(text);
  });
  document.getElementById("menu").addEventListener("click", () => {
    const lang = language.value || replyLanguage || "zh-TW";
    sendPostback("a=menu&l=" + encodeURIComponent(lang), MENU_LABELS[lang] || MENU_LABELS["zh-TW"]);
  });
  document.getElementById("share-location").addEventListener("click", openPlacePicker);
  document.getElementById("restart").addEventListener("click", () => {
    userId = newUserId();
    replyLanguage = null;
    log.replaceChildren(el("div", "hint", "已用新的使用者重新開始。"));
    setQuickReplies([]);
  });
  // --- a server that has just started: say what it can do yet (/readyz), until the complete index answers ----------

  const startup = document.getElementById("startup");

  async function watchReadiness() {
    let readiness = {};
    try {
      readiness = await (await fetch("/readyz")).json();
    } catch (error) {
      readiness = {};
    }
    if (readiness.answering_from === "complete") {
      startup.hidden = true;
      return;
    }
    const build = readiness.index_build;
    const step = build ? `（第 ${Math.min(build.steps_done + 1, build.steps)}／${build.steps} 步）` : "";
    startup.textContent = readiness.ready
      ? `機器人剛啟動，先用關鍵字比對回答；完整的理解模型正在建立${step}，約一兩分鐘後會答得更準。`
      : "機器人正在啟動，載入內容中，十幾秒後就能回答。";
    startup.hidden = false;
    setTimeout(watchReadiness, 2000);
  }

  setQuickReplies([]);
  watchReadiness();
  input.focus();
})();

// Navigator web chat: talks to the bot through this site's own api (POST /api/v1/chat).
// Safety: the visit's session id and the conversation live in this page's memory only — no cookies, no
// localStorage or sessionStorage, nothing in the URL or the title — and Exit / Esc wipe the page and replace it
// with a neutral site, so Back does not come back here.
"use strict";

(function () {
  const STRINGS = {
    en: {
      languageGroup: "Language",
      exit: "Exit",
      exitLabel: "Exit: leave this site now (Esc key)",
      emergencyLabel: "Emergency numbers",
      emergency: "Emergency",
      crisis: "Suicide & crisis",
      dv: "Domestic violence",
      heading: "Find help in Chicago",
      intro:
        "Tell me what you need (food, housing, a lawyer, a job...) and your ZIP code or neighborhood. " +
        "I will find City and community programs near you.",
      conversation: "Conversation",
      messageLabel: "Your message",
      send: "Send",
      privacy: "Nothing is saved on this device. Press Esc or Exit to leave this page quickly.",
      you: "You said:",
      bot: "Navigator said:",
      programs: "Programs",
      thinking: "Navigator is looking…",
      call: "Call",
      at: "at",
      text: "Text",
      website: "Website",
      of: "of",
      newTab: "(opens in a new tab)",
      details: "Details",
      about: "about",
      more: "More programs",
      moreWord: "more",
      openNow: "Open now",
      closedNow: "Closed now",
      km: "km away",
      empty: "Please write what you need.",
      tooLong: "Please write at most 1000 characters.",
      invalid: "That message could not be sent. Please write it again (up to 1000 characters).",
      tooMany: "You sent many messages in a short time. Please wait a minute, then try again.",
      down: "Sorry, the assistant is not available right now. Please try again in a few minutes.",
      safety: "In an emergency call 911. For a mental health crisis call or text 988.",
    },
    es: {
      languageGroup: "Idioma",
      exit: "Salir",
      exitLabel: "Salir: dejar este sitio ahora (tecla Esc)",
      emergencyLabel: "Números de emergencia",
      emergency: "Emergencia",
      crisis: "Suicidio y crisis",
      dv: "Violencia doméstica",
      heading: "Encuentre ayuda en Chicago",
      intro:
        "Dígame qué necesita (comida, vivienda, un abogado, trabajo...) y su código postal o barrio. " +
        "Le busco programas de la Ciudad y de la comunidad cerca de usted.",
      conversation: "Conversación",
      messageLabel: "Su mensaje",
      send: "Enviar",
      privacy: "No se guarda nada en este dispositivo. Pulse Esc o Salir para dejar esta página rápidamente.",
      you: "Usted dijo:",
      bot: "Navigator dijo:",
      programs: "Programas",
      thinking: "Navigator está buscando…",
      call: "Llamar",
      at: "al",
      text: "Enviar texto",
      website: "Sitio web",
      of: "de",
      newTab: "(se abre en otra pestaña)",
      details: "Detalles",
      about: "de",
      more: "Más programas",
      moreWord: "mas",
      openNow: "Abierto ahora",
      closedNow: "Cerrado ahora",
      km: "km de distancia",
      empty: "Escriba lo que necesita.",
      tooLong: "Escriba como máximo 1000 caracteres.",
      invalid: "No se pudo enviar ese mensaje. Escríbalo de nuevo (hasta 1000 caracteres).",
      tooMany: "Envió muchos mensajes en poco tiempo. Espere un minuto y vuelva a intentarlo.",
      down: "Lo sentimos, el asistente no está disponible ahora. Vuelva a intentarlo en unos minutos.",
      safety: "En una emergencia llame al 911. Para una crisis de salud mental llame o envíe un texto al 988.",
    },
  };

  const root = document.documentElement;
  const quickExitUrl = root.dataset.quickExit;
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const status = document.getElementById("status");
  const exitButton = document.getElementById("exit");
  const langButtons = Array.from(document.querySelectorAll("button.lang"));

  let lang = "en";
  let session = newSession();
  let busy = false;

  // A random version 4 UUID from the browser's CSPRNG. getRandomValues works on plain http too, unlike randomUUID.
  function newSession() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function t(key, language) {
    return STRINGS[language || lang][key];
  }

  // --- Quick exit: wipe what is on screen, then replace this history entry so Back cannot return to it. ---
  function quickExit() {
    log.replaceChildren();
    input.value = "";
    status.textContent = "";
    session = null;
    window.location.replace(quickExitUrl);
  }

  exitButton.addEventListener("click", quickExit);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      quickExit();
    }
  });

  // --- Building messages: textContent only, never innerHTML, so nothing the bot or the catalog says runs. ---
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    for (const child of children || []) {
      node.append(child);
    }
    return node;
  }

  function hidden(text) {
    return el("span", { class: "visually-hidden" }, [text]);
  }

  // A control's visible words with more for screen readers ("Call" + "Name at " + "312-555-0100"), in one span:
  // inside a flex item, loose text runs would lose the spaces between them.
  function label(visible, forScreenReaders, after) {
    return el("span", {}, [visible, hidden(forScreenReaders), after]);
  }

  function add(node) {
    log.append(node);
    node.scrollIntoView({ block: "end" });
  }

  function addText(who, text) {
    add(el("div", { class: `msg ${who}` }, [hidden(t(who === "you" ? "you" : "bot") + " "), el("p", {}, [text])]));
  }

  function addNotice(text) {
    const numbers = el("p", {}, [t("safety")]);
    add(el("div", { class: "msg notice" }, [el("p", {}, [text]), numbers]));
  }

  function telHref(phone) {
    const digits = phone.replace(/[^\d]/g, "");
    return digits.length === 10 ? `tel:+1${digits}` : `tel:${digits}`;
  }

  function card(program, language) {
    const name = program.name;
    const badges = [];
    if (typeof program.distance_km === "number") {
      badges.push(el("li", { class: "badge" }, [`${program.distance_km.toFixed(1)} ${t("km", language)}`]));
    }
    if (program.open_now === true) badges.push(el("li", { class: "badge open" }, [t("openNow", language)]));
    if (program.open_now === false) badges.push(el("li", { class: "badge" }, [t("closedNow", language)]));

    const actions = [];
    if (program.phone) {
      actions.push(
        el("a", { class: "call", href: telHref(program.phone) }, [
          label(`${t("call", language)} `, `${name} ${t("at", language)} `, program.phone),
        ]),
      );
    }
    if (program.text_line) {
      actions.push(
        el("a", { href: `sms:${program.text_line.replace(/[^\d]/g, "")}` }, [
          label(`${t("text", language)} `, `${name} ${t("at", language)} `, program.text_line),
        ]),
      );
    }
    if (program.website) {
      actions.push(
        el("a", { href: program.website, target: "_blank", rel: "noopener noreferrer" }, [
          label(t("website", language), ` ${t("of", language)} ${name} ${t("newTab", language)}`, ""),
        ]),
      );
    }
    actions.push(
      el("button", { type: "button", class: "details", "data-send": String(program.number) }, [
        label(t("details", language), ` ${t("about", language)} ${name}`, ""),
      ]),
    );

    const parts = [el("h3", {}, [`${program.number}. ${name}`])];
    if (program.summary) parts.push(el("p", { class: "summary" }, [program.summary]));
    if (program.facts_checked) parts.push(el("p", { class: "summary checked" }, [program.facts_checked]));
    if (badges.length) parts.push(el("ul", { class: "badges" }, badges));
    parts.push(el("div", { class: "card-actions" }, actions));
    return el("li", { class: "card" }, parts);
  }

  function addPrograms(message) {
    const language = STRINGS[message.lang] ? message.lang : lang;
    // A new list makes older "More" buttons stale, and a new search (numbering from 1) makes older numbers stale.
    for (const old of log.querySelectorAll(".more")) old.remove();
    if (message.first_number === 1) {
      for (const old of log.querySelectorAll("button.details")) old.remove();
    }
    const children = [
      hidden(`${t("bot", language)} `),
      el("ul", { class: "cards", "aria-label": t("programs", language) }, message.programs.map((p) => card(p, language))),
    ];
    if (message.footer) children.push(el("p", { class: "list-footer" }, [message.footer]));
    if (message.more) {
      children.push(el("button", { type: "button", class: "more", "data-send": t("moreWord", language) }, [t("more", language)]));
    }
    add(el("div", { class: "msg bot programs", lang: language }, children));
  }

  // Details and More buttons send what the list's footer tells SMS users to type.
  log.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-send]");
    if (button) send({ message: button.dataset.send }, button.textContent);
  });

  // --- Talking to the api ---
  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    status.textContent = value ? t("thinking") : "";
  }

  async function send(payload, echo) {
    if (busy || session === null) return;
    if (echo) addText("you", echo);
    setBusy(true);
    let response;
    try {
      response = await fetch("/api/v1/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session, ...payload }),
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch (error) {
      response = null;
    }
    setBusy(false);
    if (session === null) return; // the resident left while we waited
    if (response === null || response.status >= 500) {
      addNotice(t("down"));
    } else if (response.status === 429) {
      addNotice(t("tooMany"));
    } else if (response.status === 422) {
      addNotice(t("invalid"));
    } else if (response.ok) {
      const body = await response.json();
      for (const message of body.messages) {
        if (message.type === "programs") addPrograms(message);
        else addText("bot", message.text);
      }
    } else {
      addNotice(t("down"));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      status.textContent = t("empty");
      input.focus();
      return;
    }
    if (text.length > 1000) {
      status.textContent = t("tooLong");
      return;
    }
    if (busy) return;
    input.value = "";
    send({ message: text }, text);
  });

  // --- Language: the page's words and lang attribute switch at once; the bot is told through the api. ---
  function applyLanguage(language) {
    lang = language;
    root.lang = language;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-aria]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAria));
    }
    for (const button of langButtons) {
      button.setAttribute("aria-pressed", button.dataset.lang === language ? "true" : "false");
    }
  }

  for (const button of langButtons) {
    button.addEventListener("click", () => {
      if (button.dataset.lang === lang || busy) return;
      applyLanguage(button.dataset.lang);
      send({ language: button.dataset.lang }, null);
    });
  }
})();

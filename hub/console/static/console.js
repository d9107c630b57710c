// The officer console's own script: charts (Apache ECharts) and officer statements signed in the browser.
//
// Signing: the officer loads its own key file (PKCS#8 PEM, as `hub officer keygen` writes it: encrypted
// with PBES2 = PBKDF2-HMAC-SHA256 + AES-256-CBC, or unencrypted), types the passphrase, and the page
// decrypts it here with WebCrypto, imports it as a non-extractable Ed25519 or P-256 key, and signs the
// statement the hub expects (docs/officers.md §5): header {alg, kid, typ: hub-statement+jwt}, claims
// {iss, aud, iat, jti, action, target, digest, note}.  The private key never leaves this page and is never
// sent; only the signed statement is.  The DER reading below is hand-written because WebCrypto imports
// PKCS#8 but cannot decrypt EncryptedPrivateKeyInfo, and the npm ASN.1 libraries are far larger than
// the few fields needed here.
"use strict";

(function () {
  const enc = new TextEncoder();

  function b64url(bytes) {
    let s = "";
    new Uint8Array(bytes).forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function pemBody(text) {
    const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
    if (!m) throw new Error("not a PEM key file");
    const raw = atob(m[2].replace(/\s+/g, ""));
    return { label: m[1], der: Uint8Array.from(raw, (c) => c.charCodeAt(0)) };
  }

  // Minimal DER: read one TLV at offset i.
  function tlv(der, i) {
    const tag = der[i];
    let len = der[i + 1], p = i + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + der[p + k];
      p += n;
    }
    return { tag, start: p, end: p + len, next: p + len };
  }

  function children(der, node) {
    const out = [];
    for (let i = node.start; i < node.end;) { const c = tlv(der, i); out.push(c); i = c.next; }
    return out;
  }

  function oid(der, node) {
    const b = der.slice(node.start, node.end);
    const parts = [Math.floor(b[0] / 40), b[0] % 40];
    let v = 0;
    for (let k = 1; k < b.length; k++) { v = v * 128 + (b[k] & 0x7f); if (!(b[k] & 0x80)) { parts.push(v); v = 0; } }
    return parts.join(".");
  }

  const OID = { pbes2: "1.2.840.113549.1.5.13", pbkdf2: "1.2.840.113549.1.5.12", hmacSha256: "1.2.840.113549.2.9",
                aes256cbc: "2.16.840.1.101.3.4.1.42", ed25519: "1.3.101.112", ec: "1.2.840.10045.2.1" };

  async function decrypt(der, passphrase) {
    const top = tlv(der, 0), [algId, data] = children(der, top);
    const [scheme, params] = children(der, algId);
    if (oid(der, scheme) !== OID.pbes2) throw new Error("unsupported key encryption (PBES2 expected)");
    const [kdf, cipher] = children(der, params);
    const [kdfOid, kdfParams] = children(der, kdf);
    if (oid(der, kdfOid) !== OID.pbkdf2) throw new Error("unsupported key derivation (PBKDF2 expected)");
    const kp = children(der, kdfParams);
    const salt = der.slice(kp[0].start, kp[0].end);
    let iterations = 0;
    for (let k = kp[1].start; k < kp[1].end; k++) iterations = iterations * 256 + der[k];
    const prf = kp.find((c) => c.tag === 0x30);
    if (prf && oid(der, children(der, prf)[0]) !== OID.hmacSha256) throw new Error("unsupported PRF (HMAC-SHA256 expected)");
    const [cipherOid, ivNode] = children(der, cipher);
    if (oid(der, cipherOid) !== OID.aes256cbc) throw new Error("unsupported cipher (AES-256-CBC expected)");
    const base = await crypto.subtle.importKey("raw", enc.encode(passphrase), "PBKDF2", false, ["deriveKey"]);
    const key = await crypto.subtle.deriveKey({ name: "PBKDF2", salt, iterations, hash: "SHA-256" }, base,
      { name: "AES-CBC", length: 256 }, false, ["decrypt"]);
    try {
      return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: der.slice(ivNode.start, ivNode.end) },
        key, der.slice(data.start, data.end)));
    } catch (e) { throw new Error("wrong passphrase"); }
  }

  async function importKey(pkcs8) {
    const top = tlv(pkcs8, 0), algId = children(pkcs8, top)[1];
    const algOid = oid(pkcs8, children(pkcs8, algId)[0]);
    if (algOid === OID.ed25519) {
      const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
      const jwk = await crypto.subtle.exportKey("jwk", key);
      const signer = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
      return { alg: "EdDSA", key: signer, thumb: { crv: jwk.crv, kty: jwk.kty, x: jwk.x }, params: { name: "Ed25519" } };
    }
    if (algOid === OID.ec) {
      const params = { name: "ECDSA", namedCurve: "P-256" };
      const key = await crypto.subtle.importKey("pkcs8", pkcs8, params, true, ["sign"]);
      const jwk = await crypto.subtle.exportKey("jwk", key);
      const signer = await crypto.subtle.importKey("pkcs8", pkcs8, params, false, ["sign"]);
      return { alg: "ES256", key: signer, thumb: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y },
               params: { name: "ECDSA", hash: "SHA-256" } };
    }
    throw new Error("the key must be Ed25519 or EC P-256");
  }

  async function kidOf(thumb) {  // RFC 7638: SHA-256 of the required members, sorted, no spaces
    const json = JSON.stringify(Object.fromEntries(Object.keys(thumb).sort().map((k) => [k, thumb[k]])));
    return b64url(await crypto.subtle.digest("SHA-256", enc.encode(json)));
  }

  async function loadKey(file, passphrase) {
    const { label, der } = pemBody(await file.text());
    if (label === "ENCRYPTED PRIVATE KEY") return importKey(await decrypt(der, passphrase));
    if (label === "PRIVATE KEY") return importKey(der);
    throw new Error("a PKCS#8 private key file is expected");
  }

  async function signStatement(form) {
    const file = form.querySelector(".sign-key").files[0];
    if (!file) throw new Error("choose your key file");
    const key = await loadKey(file, form.querySelector(".sign-passphrase").value);
    const note = (form.querySelector(".sign-note") || { value: "" }).value.trim();
    const claims = { iss: "officer:" + form.dataset.officer, aud: form.dataset.audience,
                     iat: Math.floor(Date.now() / 1000),
                     jti: b64url(crypto.getRandomValues(new Uint8Array(24))),
                     action: form.querySelector(".sign-action").value, target: form.dataset.target,
                     digest: form.dataset.digest };
    if (note) claims.note = note;
    const header = { alg: key.alg, kid: await kidOf(key.thumb), typ: "hub-statement+jwt" };
    const input = b64url(enc.encode(JSON.stringify(header))) + "." + b64url(enc.encode(JSON.stringify(claims)));
    const signature = await crypto.subtle.sign(key.params, key.key, enc.encode(input));
    return input + "." + b64url(signature);
  }

  function wireSigning() {
    document.querySelectorAll("form.sign").forEach((form) => {
      const status = form.querySelector(".sign-status");
      form.querySelector(".sign-button").addEventListener("click", async () => {
        status.textContent = "…";
        status.className = "sign-status";
        try {
          form.querySelector(".sign-statement").value = await signStatement(form);
          form.querySelector(".sign-passphrase").value = "";
          status.textContent = "✓";
          status.className = "sign-status good";
        } catch (e) {
          status.textContent = "✗ " + e.message;
          status.className = "sign-status bad";
        }
      });
    });
  }

  // --- charts ------------------------------------------------------------------------

  function trafficChart(el, series, lang) {
    const en = lang === "en";
    const chart = echarts.init(el);
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" }, grid: { left: 50, right: 50, top: 30, bottom: 40 },
      legend: { data: en ? ["deliveries", "denials", "rows"] : ["交付次数", "拒绝次数", "交付行数"] },
      xAxis: { type: "category", data: series.labels, axisLabel: { fontSize: 10 } },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", minInterval: 1, splitLine: { show: false } }],
      series: [
        { name: en ? "deliveries" : "交付次数", type: "bar", data: series.deliveries, itemStyle: { color: "#1f5fa8" } },
        { name: en ? "denials" : "拒绝次数", type: "bar", data: series.denials, itemStyle: { color: "#b3261e" } },
        { name: en ? "rows" : "交付行数", type: "line", yAxisIndex: 1, data: series.rows, itemStyle: { color: "#a66300" } },
      ],
    });
  }

  const LAYERS = ["source-system", "raw", "staging", "intermediate", "source", "resource", "clue", "column"];
  const COLOURS = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"];

  // Lineage as a Sankey diagram: ECharts lays a DAG out left to right by depth, from the source
  // systems through raw, staging and the published layers to clues; colours name the layer.
  async function lineageChart(el) {
    const columns = document.getElementById("lineage-columns");
    const chart = echarts.init(el);
    async function draw() {
      const r = await fetch(el.dataset.src + (columns && columns.checked ? "?columns=true" : ""), { credentials: "same-origin" });
      if (!r.ok) return;
      const graph = await r.json();
      const nodes = graph.nodes.map((n) => {
        const layer = Math.max(0, LAYERS.indexOf(n.category));
        return { name: n.name, value: n.category, itemStyle: { color: COLOURS[layer] },
                 label: { fontWeight: n.focus ? "bold" : "normal", color: n.focus ? "#a4161a" : "#1d2733",
                          formatter: n.category === "column" ? n.name.split(".").pop() : n.name } };
      });
      chart.setOption({
        animation: false,
        tooltip: { formatter: (p) => p.dataType === "node" ? p.name + " (" + p.data.value + ")" : p.data.source + " → " + p.data.target },
        legend: { show: false },
        graphic: LAYERS.map((name, i) => ({ type: "text", left: 8 + i * 92, top: 0,
                                            style: { text: "■ " + name, fill: COLOURS[i], font: "11px sans-serif" } })),
        series: [{ type: "sankey", top: 28, bottom: 8, left: 8, right: 150, nodeAlign: "left", nodeWidth: 10,
                   nodeGap: 10, draggable: false, data: nodes,
                   links: graph.links.map((l) => ({ source: l.source, target: l.target, value: 1 })),
                   lineStyle: { color: "source", opacity: 0.25, curveness: 0.5 },
                   label: { fontSize: 10, position: "right" } }],
      }, true);
    }
    if (columns) columns.addEventListener("change", draw);
    await draw();
  }

  document.addEventListener("DOMContentLoaded", () => {
    wireSigning();
    const data = document.getElementById("charts");
    const lang = document.documentElement.lang === "en" ? "en" : "zh";
    if (data && window.echarts) {
      const charts = JSON.parse(data.textContent);
      trafficChart(document.getElementById("chart-hourly"), charts.hourly, lang);
      trafficChart(document.getElementById("chart-daily"), charts.daily, lang);
    }
    const lineage = document.getElementById("lineage");
    if (lineage && window.echarts) lineageChart(lineage);
  });
})();

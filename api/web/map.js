/* athar web map (GET /map): MapLibre GL JS over the API's own vector tiles and GeoJSON.
 *
 * Everything is read from this page's origin, so the map works offline in the field:
 * base layer = admin boundaries (/tiles/admin_units), labels = HTML markers from
 * /map/labels.json (the browser shapes Arabic; no glyph PBFs are needed), incidents,
 * hazard areas and control zones = vector tiles, landmine hotspots = GeoJSON.
 *
 * Time: the slider picks a day D. Control zones are those valid on D; incidents are those
 * of the window ending on D (30 days by default, or a year, or everything up to D);
 * hotspots use every landmine/ERW incident up to D, with D as the recency reference.
 *
 * A layer of a PMTiles archive can replace a live source: /map?pmtiles=admin_units:NAME
 * reads /pmtiles/NAME.pmtiles through the pmtiles protocol (an archive is a fixed
 * snapshot, so the date and the filters do not apply to it).
 */
(function () {
  "use strict";

  const ORIGIN = window.location.origin;
  const DAY_MS = 86400000;
  const CLUSTER_BELOW_ZOOM = 10;
  const SYRIA = [[35.5, 32.2], [42.5, 37.5]];
  const CELL_COLOUR = "#6b4f3a";
  const HOTSPOT_COLOUR = "#117a65";
  const HAZARD_COLOUR = "#b03a2e";
  // Hazard areas are a few hundred metres across: specks below this zoom, not worth the tiles.
  const HAZARDS_FROM_ZOOM = 8;
  const FILTER_KEYS = ["perpetrator", "weapon", "victim_category", "facility"];
  const LAYER_GROUPS = {
    incidents: ["incident-cells", "incident-points"],
    hotspots: ["hotspots-fill", "hotspots-line", "hotspots-point"],
    hazards: ["hazards-fill", "hazards-line"],
    zones: ["zones-fill", "zones-joint", "zones-line"],
    admin: ["admin-line"],
  };

  const $ = (id) => document.getElementById(id);
  const status = (text) => { $("status").textContent = text || ""; };

  // --- small helpers -------------------------------------------------------------------

  function isoToDay(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
  }

  function dayToIso(day) {
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function humanise(code) {
    return code ? String(code).replace(/_/g, " ") : "";
  }

  // --- state ---------------------------------------------------------------------------

  const state = {
    config: null,
    day: 0,
    window: "30",
    colourBy: "perpetrator",
    filters: { perpetrator: new Set(), weapon: new Set(), victim_category: new Set(), facility: new Set() },
    massacre: false,
    visible: { incidents: true, hotspots: true, hazards: true, zones: true, admin: true, labels: true },
    hotspotMethod: "dbscan",
    archives: {},
    ready: false,
    hotspotsAllowed: false,
    playing: false,
  };

  function partyByCode(code) {
    return state.config.parties.find((party) => party.code === code);
  }

  function partyName(code) {
    const party = partyByCode(code);
    return party ? party.name_en : humanise(code);
  }

  function partyNames(codes) {
    if (!codes) return "";
    return String(codes).split(",").filter(Boolean).map(partyName).join(" + ");
  }

  function adminName(pcode) {
    const unit = pcode && state.config.admin_units[pcode];
    if (!unit) return pcode || "";
    return unit.name_ar ? `${unit.name_en} (${unit.name_ar})` : unit.name_en;
  }

  // The incident query string shared by tiles and exports: the same filters everywhere.
  function incidentParams() {
    const params = new URLSearchParams();
    const to = state.day;
    if (state.window !== "all") {
      params.set("date_from", dayToIso(to - Number(state.window) + 1));
    }
    params.set("date_to", dayToIso(to));
    for (const key of FILTER_KEYS) {
      if (state.filters[key].size) params.set(key, [...state.filters[key]].sort().join(","));
    }
    if (state.massacre) params.set("massacre", "true");
    return params;
  }

  function incidentTiles() {
    return [`${ORIGIN}/tiles/incidents/{z}/{x}/{y}.mvt?${incidentParams()}`];
  }

  function zoneTiles() {
    return [`${ORIGIN}/tiles/control_zones/{z}/{x}/{y}.mvt?date=${dayToIso(state.day)}`];
  }

  function viewBbox(map) {
    const bounds = map.getBounds();
    const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
    const box = [
      clamp(bounds.getWest(), 180), clamp(bounds.getSouth(), 90),
      clamp(bounds.getEast(), 180), clamp(bounds.getNorth(), 90),
    ];
    return box.map((value) => value.toFixed(5)).join(",");
  }

  // --- colours -------------------------------------------------------------------------

  function matchExpression(property, entries, fallback) {
    const expression = ["match", ["coalesce", ["get", property], ""]];
    for (const [code, colour] of entries) expression.push(code, colour);
    expression.push(fallback);
    return expression;
  }

  function partyColourExpression(input) {
    const expression = ["match", input];
    for (const party of state.config.parties) expression.push(party.code, party.colour);
    expression.push(state.config.fallback_colour);
    return expression;
  }

  // Zones list their parties largest share first; the first one colours the zone.
  const FIRST_PARTY = [
    "slice",
    ["coalesce", ["get", "parties"], ""],
    0,
    ["index-of", ",", ["concat", ["coalesce", ["get", "parties"], ""], ","]],
  ];

  function pointColour() {
    if (state.colourBy === "weapon") {
      return matchExpression("weapon",
        state.config.weapons.map((w) => [w.code, w.colour]), state.config.fallback_colour);
    }
    return matchExpression("perpetrator_category",
      state.config.parties.map((p) => [p.code, p.colour]), state.config.fallback_colour);
  }

  // Grid cells carry counts only; one selected value of the colouring attribute lends its colour.
  function cellColour() {
    const chosen = state.filters[state.colourBy];
    if (chosen.size === 1) {
      const code = [...chosen][0];
      if (state.colourBy === "weapon") {
        const weapon = state.config.weapons.find((w) => w.code === code);
        if (weapon) return weapon.colour;
      } else {
        const party = partyByCode(code);
        if (party) return party.colour;
      }
    }
    return CELL_COLOUR;
  }

  // --- the map -------------------------------------------------------------------------

  function hatchImage() {
    const size = 12;
    const canvas = document.createElement("canvas");
    canvas.width = size;
    canvas.height = size;
    const context = canvas.getContext("2d");
    context.strokeStyle = "rgba(30, 30, 30, 0.85)";
    context.lineWidth = 2;
    context.beginPath();
    // Three segments so the stripes join across the pattern's edges.
    for (const offset of [-size, 0, size]) {
      context.moveTo(offset, size);
      context.lineTo(offset + size, 0);
    }
    context.stroke();
    return context.getImageData(0, 0, size, size);
  }

  function vectorSource(layer, tiles, extra) {
    const archive = state.archives[layer];
    if (archive) return { type: "vector", url: `pmtiles://${ORIGIN}/pmtiles/${archive}.pmtiles` };
    return { type: "vector", tiles, minzoom: 0, bounds: [35.5, 32.2, 42.5, 37.5], ...extra };
  }

  function addLayers(map) {
    const config = state.config;
    map.addImage("hatch", hatchImage());
    map.addSource("admin", vectorSource("admin_units",
      [`${ORIGIN}/tiles/admin_units/{z}/{x}/{y}.mvt`], { maxzoom: 12, attribution: config.attribution }));
    map.addSource("zones", vectorSource("control_zones", zoneTiles(), { maxzoom: 12 }));
    map.addSource("hazards", vectorSource("hazard_areas",
      [`${ORIGIN}/tiles/hazard_areas/{z}/{x}/{y}.mvt`], { maxzoom: 14 }));
    map.addSource("incidents", vectorSource("incidents", incidentTiles(), { maxzoom: 14 }));
    map.addSource("hotspots", { type: "geojson", data: { type: "FeatureCollection", features: [] } });

    map.addLayer({
      id: "admin-fill", type: "fill", source: "admin", "source-layer": "admin_units",
      paint: { "fill-color": "#fbf9f4" },
    });
    map.addLayer({
      id: "zones-fill", type: "fill", source: "zones", "source-layer": "control_zones",
      paint: { "fill-color": partyColourExpression(FIRST_PARTY), "fill-opacity": 0.3 },
    });
    map.addLayer({
      id: "zones-joint", type: "fill", source: "zones", "source-layer": "control_zones",
      filter: ["in", ",", ["coalesce", ["get", "parties"], ""]],
      paint: { "fill-pattern": "hatch", "fill-opacity": 0.45 },
    });
    map.addLayer({
      id: "zones-line", type: "line", source: "zones", "source-layer": "control_zones",
      paint: { "line-color": partyColourExpression(FIRST_PARTY), "line-width": 1.2, "line-opacity": 0.8 },
    });
    map.addLayer({
      id: "admin-line", type: "line", source: "admin", "source-layer": "admin_units",
      paint: {
        "line-color": "#6e6e6e",
        "line-width": ["match", ["get", "level"], 1, 1.4, 2, 1.0, 0.6],
        "line-dasharray": [3, 1],
      },
    });
    map.addLayer({
      id: "hazards-fill", minzoom: HAZARDS_FROM_ZOOM, type: "fill", source: "hazards", "source-layer": "hazard_areas",
      paint: { "fill-color": HAZARD_COLOUR, "fill-opacity": 0.25 },
    });
    map.addLayer({
      id: "hazards-line", minzoom: HAZARDS_FROM_ZOOM, type: "line", source: "hazards", "source-layer": "hazard_areas",
      paint: { "line-color": HAZARD_COLOUR, "line-width": 1.2, "line-dasharray": [2, 1] },
    });
    map.addLayer({
      id: "hotspots-fill", type: "fill", source: "hotspots",
      filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": HOTSPOT_COLOUR, "fill-opacity": 0.15 },
    });
    map.addLayer({
      id: "hotspots-line", type: "line", source: "hotspots",
      filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": HOTSPOT_COLOUR, "line-width": 2.5 },
    });
    map.addLayer({
      id: "hotspots-point", type: "circle", source: "hotspots",
      filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-radius": 9, "circle-color": "rgba(0,0,0,0)",
        "circle-stroke-color": HOTSPOT_COLOUR, "circle-stroke-width": 2.5,
      },
    });
    map.addLayer({
      id: "incident-cells", type: "circle", source: "incidents", "source-layer": "incidents",
      filter: ["has", "count"],
      paint: {
        "circle-color": cellColour(),
        "circle-opacity": 0.7,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 0.8,
        // Cells sit ~16 px apart; a logarithmic radius keeps 10,000 from burying its neighbours.
        "circle-radius": ["interpolate", ["linear"], ["ln", ["+", 1, ["get", "count"]]], 0.69, 3.5, 4.6, 7, 9.2, 11],
      },
    });
    map.addLayer({
      id: "incident-points", type: "circle", source: "incidents", "source-layer": "incidents",
      filter: ["!", ["has", "count"]],
      paint: {
        "circle-color": pointColour(),
        "circle-radius": ["case", ["==", ["get", "massacre"], true], 8, 5.5],
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1.2,
      },
    });
  }

  function applyVisibility(map) {
    for (const [group, layers] of Object.entries(LAYER_GROUPS)) {
      const value = state.visible[group] ? "visible" : "none";
      for (const layer of layers) {
        if (map.getLayer(layer)) map.setLayoutProperty(layer, "visibility", value);
      }
    }
    labels.setVisible(state.visible.labels);
  }

  function refreshIncidents(map) {
    if (!state.ready) return;
    const source = map.getSource("incidents");
    if (source && !state.archives.incidents) source.setTiles(incidentTiles());
    map.setPaintProperty("incident-points", "circle-color", pointColour());
    map.setPaintProperty("incident-cells", "circle-color", cellColour());
    updateDownloads(map);
    renderLegend(map);
  }

  function refreshZones(map) {
    if (!state.ready) return;
    const source = map.getSource("zones");
    if (source && !state.archives.control_zones) source.setTiles(zoneTiles());
  }

  // --- hotspots ------------------------------------------------------------------------

  let hotspotRequest = null;

  async function refreshHotspots(map) {
    if (!state.visible.hotspots || !state.hotspotsAllowed) return;
    if (hotspotRequest) hotspotRequest.abort();
    hotspotRequest = new AbortController();
    const date = dayToIso(state.day);
    const params = new URLSearchParams({
      method: state.hotspotMethod, bbox: viewBbox(map), to: date, as_of: date,
    });
    try {
      const response = await fetch(`${ORIGIN}/landmines/hotspots?${params}`, { signal: hotspotRequest.signal });
      if (!response.ok) throw new Error(`hotspots: HTTP ${response.status}`);
      map.getSource("hotspots").setData(await response.json());
    } catch (error) {
      if (error.name !== "AbortError") status(`Landmine hotspots unavailable: ${error.message}`);
    }
  }

  // --- labels (DOM markers: the browser shapes English and Arabic) ---------------------

  const labels = {
    markers: new Map(),
    visible: true,
    request: null,
    map: null,
    setVisible(visible) {
      this.visible = visible;
      for (const marker of this.markers.values()) marker.getElement().hidden = !visible;
      if (visible && this.map) this.refresh();
    },
    async refresh() {
      const map = this.map;
      if (!this.visible) return;
      if (this.request) this.request.abort();
      this.request = new AbortController();
      const params = new URLSearchParams({ bbox: viewBbox(map), zoom: map.getZoom().toFixed(1) });
      let body;
      try {
        const response = await fetch(`${ORIGIN}/map/labels.json?${params}`, { signal: this.request.signal });
        if (!response.ok) throw new Error(`labels: HTTP ${response.status}`);
        body = await response.json();
      } catch (error) {
        if (error.name !== "AbortError") status(`Place names unavailable: ${error.message}`);
        return;
      }
      const wanted = new Set();
      for (const label of body.labels) {
        const key = `${label.kind}:${label.pcode}:${label.lon}:${label.lat}`;
        wanted.add(key);
        if (this.markers.has(key)) continue;
        const node = el("div", { class: `place-label ${label.kind}`, "data-kind": label.kind },
          el("span", { class: "en", text: label.name_en }),
          label.name_ar ? el("span", { class: "ar", lang: "ar", dir: "rtl", text: label.name_ar }) : null);
        const marker = new maplibregl.Marker({ element: node, anchor: "top" })
          .setLngLat([label.lon, label.lat]).addTo(map);
        this.markers.set(key, marker);
      }
      for (const [key, marker] of this.markers) {
        if (!wanted.has(key)) {
          marker.remove();
          this.markers.delete(key);
        }
      }
      this.declutter();
    },
    // Greedy collision test, larger units first: a label overlapping one already kept hides.
    declutter() {
      const rank = { admin1: 0, admin2: 1, admin3: 2, community: 3, camp: 4, neighbourhood: 5 };
      const nodes = [...this.markers.values()].map((marker) => marker.getElement());
      nodes.sort((a, b) => (rank[a.dataset.kind] ?? 9) - (rank[b.dataset.kind] ?? 9));
      const kept = [];
      for (const node of nodes) {
        node.style.visibility = "";
        const box = node.getBoundingClientRect();
        const overlaps = kept.some((other) => box.left < other.right && box.right > other.left
          && box.top < other.bottom && box.bottom > other.top);
        if (overlaps) node.style.visibility = "hidden";
        else kept.push(box);
      }
    },
  };

  // --- legend --------------------------------------------------------------------------

  function legendItem(swatchClass, colour, label) {
    const swatch = el("span", { class: `swatch ${swatchClass}` });
    if (colour) swatch.style.backgroundColor = colour;
    return el("div", { class: "legend-item" }, swatch, el("span", { text: label }));
  }

  function zonePartiesShown(map) {
    const codes = new Set();
    let joint = false;
    if (!map.getSource("zones")) return { codes, joint };
    for (const feature of map.querySourceFeatures("zones", { sourceLayer: "control_zones" })) {
      const parties = String(feature.properties.parties || "").split(",").filter(Boolean);
      if (parties.length > 1) joint = true;
      if (parties.length) codes.add(parties[0]);
    }
    return { codes, joint };
  }

  function renderLegend(map) {
    const config = state.config;
    const legend = $("legend");
    legend.replaceChildren();
    if (state.visible.incidents) {
      const group = el("div", { class: "legend-group" },
        el("h3", { text: `Incidents by ${state.colourBy} (zoom ${CLUSTER_BELOW_ZOOM}+)` }));
      const entries = state.colourBy === "weapon"
        ? config.weapons.map((w) => [humanise(w.code), w.colour])
        : config.parties.filter((p) => !p.parent).map((p) => [p.name_en, p.colour]);
      for (const [label, colour] of entries) group.append(legendItem("dot", colour, label));
      group.append(legendItem("dot", cellColour(),
        `Below zoom ${CLUSTER_BELOW_ZOOM}, and in dense areas up to zoom 13: incidents per grid cell (size grows with the count, log scale)`));
      legend.append(group);
    }
    if (state.visible.zones) {
      const group = el("div", { class: "legend-group" },
        el("h3", { text: `Areas of control on ${dayToIso(state.day)}` }));
      const { codes, joint } = zonePartiesShown(map);
      const shown = codes.size ? [...codes] : config.parties.filter((p) => !p.parent).map((p) => p.code);
      for (const code of shown) {
        const party = partyByCode(code);
        group.append(legendItem("", party ? party.colour : config.fallback_colour, partyName(code)));
      }
      if (joint || !codes.size) group.append(legendItem("hatch", null, "Joint control (hatched; colour of the largest share)"));
      if (!codes.size) group.append(el("p", { class: "hint", text: "No mapped zone in view for this date." }));
      legend.append(group);
    }
    const other = el("div", { class: "legend-group" });
    if (state.visible.hotspots) other.append(legendItem("ring", null, "Landmine/ERW hotspot (up to the date)"));
    if (state.visible.hazards) other.append(legendItem("", HAZARD_COLOUR, `Hazard area (mines, ERW), from zoom ${HAZARDS_FROM_ZOOM}`));
    if (state.visible.admin) other.append(legendItem("", "#fbf9f4", "Admin units (dashed boundaries)"));
    legend.append(other);
  }

  // --- downloads -----------------------------------------------------------------------

  function updateDownloads(map) {
    const params = incidentParams();
    params.set("bbox", viewBbox(map));
    $("dl-geojson").href = `/incidents/export.geojson?${params}`;
    $("dl-csv").href = `/incidents/export.csv?${params}`;
  }

  // --- popups --------------------------------------------------------------------------

  function definitionList(rows) {
    const list = el("dl");
    for (const [term, value] of rows) {
      if (value === null || value === undefined || value === "") continue;
      list.append(el("dt", { text: term }), el("dd", {}, value instanceof Node ? value : String(value)));
    }
    return list;
  }

  function killedText(props) {
    if (props.killed_total === null || props.killed_total === undefined) return "unknown";
    const parts = [];
    const count = (n, one, many) => `${n} ${Number(n) === 1 ? one : many}`;
    if (props.killed_children) parts.push(count(props.killed_children, "child", "children"));
    if (props.killed_women) parts.push(count(props.killed_women, "woman", "women"));
    return parts.length ? `${props.killed_total} (${parts.join(", ")})` : String(props.killed_total);
  }

  function controlText(props) {
    const reported = props.controlling_force_reported
      || (props.control_reported ? partyNames(props.control_reported) : "not stated");
    const mapped = props.control_mapped ? partyNames(props.control_mapped) : "no mapped zone";
    const method = props.control_method ? ` (${humanise(props.control_method)})` : "";
    const wrap = el("span", {}, `as reported: ${reported}; as mapped: ${mapped}${method}`);
    if (props.control_disagrees === true || props.control_disagrees === "true") {
      wrap.append(el("br"), el("span", { class: "warn", text: "The report and the map disagree." }));
    }
    return wrap;
  }

  // Room for a tall popup: a point in the lower half of the view is brought near the top.
  function makeRoom(map, lngLat) {
    const point = map.project(lngLat);
    const height = map.getContainer().clientHeight;
    if (point.y > height * 0.4) {
      map.easeTo({ center: lngLat, offset: [0, -(height / 2 - 70)], duration: 300 });
    }
  }

  function incidentPopup(map, lngLat, props) {
    makeRoom(map, lngLat);
    // Sub-district, district and governorate often share a name; each is said once.
    const admins = [...new Set([props.admin3_pcode, props.admin2_pcode, props.admin1_pcode]
      .filter(Boolean).map(adminName))].join(", ");
    const source = el("div", { class: "source", text: "Loading the source…" });
    const body = el("div", { class: "popup incident" },
      el("h3", { text: `Incident ${props.id}` }),
      definitionList([
        ["Date", props.date + (props.date_precision && props.date_precision !== "day" ? ` (${props.date_precision})` : "")],
        ["Place", props.place + (props.location_precision ? ` (${humanise(props.location_precision)})` : "")],
        ["Admin units", admins],
        ["Perpetrator", partyNames(props.perpetrator_subcategory || props.perpetrator_category)],
        ["Weapon", humanise(props.weapon)],
        ["Killed", killedText(props)],
        ["Injured", props.injured],
        ["Massacre", props.massacre === true || props.massacre === "true" ? "yes (5+ killed)" : null],
        ["Facility", humanise(props.facility)],
        ["Victims", humanise(props.victim_categories)],
        ["Control", controlText(props)],
      ]),
      source);
    new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(lngLat).setDOMContent(body).addTo(map);
    fetch(`${ORIGIN}/incidents/${encodeURIComponent(props.id)}`)
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((feature) => {
        source.replaceChildren();
        const evidence = feature.properties && (feature.properties.evidence_redacted || feature.properties.evidence);
        if (evidence) {
          source.append(el("p", { class: "evidence", text: evidence }),
            el("p", { class: "hint", text: "Evidence sentence with names redacted." }));
        }
        const documentInfo = feature.provenance && feature.provenance.document;
        if (documentInfo) {
          const title = documentInfo.title || "Source document";
          const span = feature.provenance.span || {};
          const where = span.locator ? ` (${span.locator})` : "";
          const link = documentInfo.url
            ? el("a", { href: documentInfo.url, target: "_blank", rel: "noopener noreferrer", text: title })
            : el("span", { text: title });
          source.append(el("p", {}, "Source: ", link, where));
          if (!evidence) {
            source.append(el("p", { class: "hint",
              text: "The passage is not published here (report sentences name victims); read it in the source." }));
          }
        }
      })
      .catch((error) => { source.textContent = `Source unavailable (${error.message}).`; });
  }

  function cellPopup(map, lngLat, props) {
    const zoomIn = el("button", { type: "button", text: "Zoom in to single incidents" });
    // Dense tiles stay grids up to z13: each click goes at least two levels deeper.
    const target = Math.max(CLUSTER_BELOW_ZOOM, Math.floor(map.getZoom()) + 2);
    zoomIn.addEventListener("click", () => map.flyTo({ center: lngLat, zoom: target }));
    const body = el("div", { class: "popup cell" },
      el("h3", { text: `${props.count} incidents in this cell` }),
      definitionList([
        ["Killed", killedText(props)],
        ["Injured", props.injured],
        ["Massacres", props.massacres],
      ]),
      zoomIn);
    new maplibregl.Popup().setLngLat(lngLat).setDOMContent(body).addTo(map);
  }

  function hotspotPopup(map, lngLat, props) {
    const body = el("div", { class: "popup hotspot" },
      el("h3", { text: `Landmine hotspot #${props.rank}` }),
      definitionList([
        ["Area", props.admin_name],
        ["Incidents", props.incident_count],
        ["Killed", killedText({ ...props, killed_total: props.killed })],
        ["Injured", props.injured],
        ["Period", `${props.first_date} – ${props.last_date}`],
        ["Hazard areas near", props.hazard_areas],
        ["Score", typeof props.score === "number" ? props.score.toFixed(2) : props.score],
        ["Method", props.method],
      ]));
    new maplibregl.Popup().setLngLat(lngLat).setDOMContent(body).addTo(map);
  }

  function hazardPopup(map, lngLat, props) {
    const body = el("div", { class: "popup hazard" },
      el("h3", { text: props.name || props.hazard_code || "Hazard area" }),
      definitionList([
        ["Code", props.hazard_code],
        ["Type", props.hazard_type],
        ["Status", humanise(props.status)],
        ["Contamination", humanise(props.contamination)],
        ["Devices", humanise(props.device_types)],
        ["Area", props.area_m2 ? `${Math.round(props.area_m2).toLocaleString()} m²` : null],
        ["Reported", props.reported_on],
        ["Organisation", props.organisation],
      ]));
    new maplibregl.Popup().setLngLat(lngLat).setDOMContent(body).addTo(map);
  }

  function zonePopup(map, lngLat, props) {
    let shares = "";
    try {
      shares = JSON.parse(props.parties_json || "[]")
        .map((p) => `${partyName(p.code)}${p.share ? ` ${Math.round(p.share * 100)}%` : ""}`).join(", ");
    } catch (error) {
      shares = partyNames(props.parties);
    }
    const joint = String(props.parties || "").includes(",");
    const body = el("div", { class: "popup zone" },
      el("h3", { text: joint ? "Joint control" : "Area of control" }),
      definitionList([
        ["Held by", shares || partyNames(props.parties)],
        ["Zone", props.label],
        ["Valid", `${props.valid_from} – ${props.valid_to || "open"}`],
        ["Source", props.source],
      ]));
    new maplibregl.Popup().setLngLat(lngLat).setDOMContent(body).addTo(map);
  }

  function onClick(map, event) {
    const pad = 6;
    const box = [[event.point.x - pad, event.point.y - pad], [event.point.x + pad, event.point.y + pad]];
    const order = [
      ["incident-points", incidentPopup],
      ["incident-cells", cellPopup],
      ["hotspots-point", hotspotPopup],
      ["hotspots-fill", hotspotPopup],
      ["hotspots-line", hotspotPopup],
      ["hazards-fill", hazardPopup],
      ["zones-fill", zonePopup],
    ];
    for (const [layer, show] of order) {
      if (!map.getLayer(layer)) continue;
      const target = layer.endsWith("-fill") ? event.point : box;
      const features = map.queryRenderedFeatures(target, { layers: [layer] });
      if (features.length) {
        show(map, event.lngLat, features[0].properties);
        return;
      }
    }
  }

  // --- controls ------------------------------------------------------------------------

  function buildChoices(map) {
    const config = state.config;
    const options = {
      perpetrator: config.parties.map((p) => [p.code, p.parent ? `· ${p.name_en}` : p.name_en]),
      weapon: config.weapons.map((w) => [w.code, humanise(w.code)]),
      victim_category: config.victim_categories.map((c) => [c, humanise(c)]),
      facility: config.facilities.map((f) => [f, humanise(f)]),
    };
    for (const key of FILTER_KEYS) {
      const box = $(`f-${key}`);
      for (const [code, label] of options[key]) {
        const input = el("input", { type: "checkbox", value: code });
        input.addEventListener("change", () => {
          if (input.checked) state.filters[key].add(code);
          else state.filters[key].delete(code);
          updateCounts();
          refreshIncidents(map);
        });
        box.append(el("label", {}, input, ` ${label}`));
      }
    }
  }

  function updateCounts() {
    for (const node of document.querySelectorAll(".count[data-for]")) {
      const size = state.filters[node.dataset.for].size;
      node.textContent = size ? `(${size})` : "";
    }
  }

  function windowLabel() {
    const to = dayToIso(state.day);
    if (state.window === "all") return `Incidents up to ${to}; control zones on ${to}.`;
    const from = dayToIso(state.day - Number(state.window) + 1);
    return `Incidents ${from} – ${to}; control zones on ${to}.`;
  }

  function setDay(map, day, { immediate } = {}) {
    const slider = $("slider");
    state.day = Math.max(Number(slider.min), Math.min(Number(slider.max), day));
    slider.value = String(state.day);
    $("date-label").textContent = dayToIso(state.day);
    $("window-label").textContent = windowLabel();
    if (immediate) applyDay(map);
    else applyDayLater(map);
  }

  function applyDay(map) {
    refreshZones(map);
    refreshIncidents(map);
    // DBSCAN runs on the server for each request: while playing, hotspots wait for the stop.
    if (!state.playing) refreshHotspots(map);
  }

  const applyDayLater = debounce(applyDay, 150);

  function wireControls(map) {
    const config = state.config;
    const slider = $("slider");
    slider.min = String(isoToDay(config.date_min));
    slider.max = String(isoToDay(config.date_max));
    slider.addEventListener("input", () => setDay(map, Number(slider.value)));

    let playing = null;
    const play = $("play");
    const stop = () => {
      clearInterval(playing);
      playing = null;
      state.playing = false;
      refreshHotspots(map);
      play.textContent = "▶";
      play.setAttribute("aria-pressed", "false");
    };
    play.addEventListener("click", () => {
      if (playing) return stop();
      if (state.day >= Number(slider.max)) setDay(map, Number(slider.min), { immediate: true });
      state.playing = true;
      play.textContent = "❚❚";
      play.setAttribute("aria-pressed", "true");
      playing = setInterval(() => {
        if (state.day >= Number(slider.max)) return stop();
        setDay(map, state.day + Number($("step").value), { immediate: true });
      }, 900);
    });

    $("window").addEventListener("change", (event) => {
      state.window = event.target.value;
      setDay(map, state.day, { immediate: true });
    });

    for (const radio of document.querySelectorAll('input[name="colour-by"]')) {
      radio.addEventListener("change", () => {
        if (radio.checked) state.colourBy = radio.value;
        refreshIncidents(map);
      });
    }

    $("f-massacre").addEventListener("change", (event) => {
      state.massacre = event.target.checked;
      refreshIncidents(map);
    });

    $("clear-filters").addEventListener("click", () => {
      for (const key of FILTER_KEYS) state.filters[key].clear();
      for (const input of document.querySelectorAll("#filters input[type=checkbox]")) input.checked = false;
      state.massacre = false;
      updateCounts();
      refreshIncidents(map);
    });

    for (const input of document.querySelectorAll("input[data-layer]")) {
      input.addEventListener("change", () => {
        state.visible[input.dataset.layer] = input.checked;
        applyVisibility(map);
        if (input.dataset.layer === "hotspots" && input.checked) refreshHotspots(map);
        renderLegend(map);
      });
    }

    $("hotspot-method").addEventListener("change", (event) => {
      state.hotspotMethod = event.target.value;
      refreshHotspots(map);
    });

    const panel = $("panel");
    const toggle = $("panel-toggle");
    // Phones start with the map alone; the panel is one tap away.
    if (window.matchMedia("(max-width: 700px)").matches) {
      panel.classList.add("closed");
      toggle.setAttribute("aria-expanded", "false");
    }
    toggle.addEventListener("click", () => {
      const closed = panel.classList.toggle("closed");
      toggle.setAttribute("aria-expanded", String(!closed));
      map.resize();
    });
  }

  function wireSearch(map) {
    const input = $("search-input");
    const list = $("search-results");
    const zoomFor = { governorate: 8, district: 9, subdistrict: 10 };
    let request = null;

    async function search() {
      const q = input.value.trim();
      if (!q) {
        list.hidden = true;
        return;
      }
      if (request) request.abort();
      request = new AbortController();
      let body;
      try {
        const response = await fetch(`${ORIGIN}/gazetteer/search?${new URLSearchParams({ q, limit: "6" })}`,
          { signal: request.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        body = await response.json();
      } catch (error) {
        if (error.name !== "AbortError") status(`Search failed: ${error.message}`);
        return;
      }
      list.replaceChildren();
      if (!body.results.length) {
        list.append(el("li", { class: "sub", text: "No place found." }));
      }
      for (const result of body.results) {
        const where = [result.admin3_name, result.admin2_name, result.admin1_name].filter(Boolean).join(", ");
        const item = el("li", { tabindex: "0" },
          el("div", {}, result.name, result.name_ar ? ` · ${result.name_ar}` : ""),
          el("div", { class: "sub", text: where }));
        const go = () => {
          list.hidden = true;
          if (result.lat === null || result.lon === null) return;
          map.flyTo({ center: [result.lon, result.lat], zoom: zoomFor[result.location_precision] || 12 });
        };
        item.addEventListener("click", go);
        item.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
        list.append(item);
      }
      list.hidden = false;
    }

    input.addEventListener("input", debounce(search, 300));
    $("search").addEventListener("submit", (event) => {
      event.preventDefault();
      search();
    });
    document.addEventListener("click", (event) => {
      if (!$("search").contains(event.target)) list.hidden = true;
    });
  }

  function parseArchives() {
    const wanted = new URLSearchParams(window.location.search).get("pmtiles");
    if (!wanted) return;
    for (const pair of wanted.split(",")) {
      const [layer, name] = pair.split(":");
      if (layer && name && state.config.pmtiles_archives.includes(name)) state.archives[layer] = name;
    }
  }

  // --- start ---------------------------------------------------------------------------

  async function start() {
    // The configuration and MapLibre's start-up (style, workers) proceed side by side.
    const configLoaded = fetch(`${ORIGIN}/map/config.json`).then((response) => {
      if (!response.ok) throw new Error(`config: HTTP ${response.status}`);
      return response.json();
    });
    const map = new maplibregl.Map({
      container: "map",
      // No basemap from elsewhere: the style starts empty and gets the API's own layers.
      style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#d9e1e6" } }] },
      bounds: SYRIA,
      fitBoundsOptions: { padding: 20 },
      attributionControl: { compact: true },
      hash: true,
    });
    const mapLoaded = new Promise((resolve) => map.once("load", resolve));
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl(), "bottom-right");
    labels.map = map;

    // Errors are shown and logged: a failing tile must not go unnoticed (tests watch the console).
    map.on("error", (event) => {
      const message = event.error && event.error.message ? event.error.message : String(event.error);
      status(`Map error: ${message}`);
      console.error("athar map:", message);
    });

    state.config = await configLoaded;
    parseArchives();
    if (Object.keys(state.archives).length) {
      const protocol = new pmtiles.Protocol();
      maplibregl.addProtocol("pmtiles", protocol.tile);
    }
    buildChoices(map);
    wireControls(map);
    wireSearch(map);
    const initial = isoToDay(state.config.incident_date_max || state.config.date_max);
    $("slider").min = String(isoToDay(state.config.date_min));
    $("slider").max = String(isoToDay(state.config.date_max));
    state.day = initial;
    $("slider").value = String(initial);
    $("date-label").textContent = dayToIso(initial);
    $("window-label").textContent = windowLabel();
    status(`${state.config.incident_count.toLocaleString()} published incidents.`);

    const api = { map, state, setDay: (iso) => setDay(map, isoToDay(iso), { immediate: true }), loaded: false };
    window.athar = api;

    await mapLoaded;
    addLayers(map);
    state.ready = true;
    applyVisibility(map);
    for (const layer of ["incident-points", "incident-cells", "hotspots-fill", "hazards-fill", "zones-fill"]) {
      map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
    }
    updateDownloads(map);
    renderLegend(map);
    labels.refresh();
    const incidentsIn = (event) => {
      if (event.sourceId === "incidents" && event.isSourceLoaded) {
        api.incidentsAt = performance.now();
        map.off("sourcedata", incidentsIn);
      }
    };
    map.on("sourcedata", incidentsIn);
    map.once("idle", () => {
      // A compact attribution unfolds when its text arrives and would cover a phone's map;
      // folded, it is one tap away.
      const attribution = map.getContainer().querySelector(".maplibregl-ctrl-attrib.maplibregl-compact");
      if (attribution) {
        attribution.classList.remove("maplibregl-compact-show");
        attribution.removeAttribute("open");
      }
      api.loaded = true;
      api.loadedAt = performance.now();
      document.body.dataset.ready = "true";
      renderLegend(map);
      // Hotspots are computed on request (DBSCAN over the view); asked for once the tiles
      // are in, they do not hold back the first picture.
      state.hotspotsAllowed = true;
      refreshHotspots(map);
    });
    const onMove = debounce(() => {
      updateDownloads(map);
      refreshHotspots(map);
      labels.refresh();
    }, 250);
    map.on("moveend", onMove);
    // The legend lists the parties of the zones actually loaded, so it follows data changes.
    const legendLater = debounce(() => renderLegend(map), 300);
    map.on("sourcedata", (event) => {
      if (event.sourceId === "zones" && event.isSourceLoaded) legendLater();
    });
    map.on("click", (event) => onClick(map, event));
  }

  start().catch((error) => {
    status(`The map could not start: ${error.message}`);
    console.error("athar map:", error);
  });
})();

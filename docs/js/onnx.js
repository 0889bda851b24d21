// The maze agents' networks in the browser: onnxruntime-web (its wasm build; several
// threads only where the service worker made the page cross-origin isolated, see
// wasmThreads), the agents found from the model cards the build copied into
// assets/models/, and the shuttle between a Python stepper (saferlhub/maze/stepper.py)
// and onnxruntime-web.
//
// Only maze pages import this module, so no other page downloads the runtime.
// No RL here: Python hands out batches of network inputs (float32 bytes, sent beside
// the JSON by the worker), this file runs them, one onnxruntime call per model per
// step (answered lane by lane where Python says so, see runStepper), and hands back
// the outputs the same way.
//
//   const agents = await loadAgents(python);          // [{agent, name, card, problems}]
//   const { result, stopped } = await runStepper(python, "play", { agents, mazes }, { onProgress, shouldStop });

import { assetUrl } from "./assets.js";

const STEPPER = "saferlhub.maze.stepper";

/** A model file or card the page cannot use; the message says which file and what to do. */
export class ModelError extends Error {
  constructor(message) {
    super(message);
    this.name = "ModelError";
  }
}

/** What a maze page says when a run fails: a ModelError's own advice, else the error. */
export function problemText(error) {
  return error instanceof ModelError ? error.message : `Something failed: ${error?.message ?? error}`;
}

let ortPromise = null;

/** onnxruntime-web's WebAssembly threads: several only where the page is cross-origin
 * isolated (SharedArrayBuffer; the service worker adds the headers, see
 * service-worker.js), one otherwise. At most 4, as onnxruntime-web's own default. */
export function wasmThreads() {
  if (!self.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

/** onnxruntime-web, imported once, on first use. */
export function loadOrt() {
  ortPromise ??= (async () => {
    const base = assetUrl("vendor/onnxruntime-web/");
    const ort = await import(/* no bundling: a pinned file copied by the build */ `${base}ort.wasm.bundle.min.mjs`);
    ort.env.wasm.numThreads = wasmThreads(); // fixed for the page from its first session on
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = { wasm: `${base}ort-wasm-simd-threaded.wasm` };
    ort.env.logLevel = "error";
    return ort;
  })();
  ortPromise.catch(() => (ortPromise = null));
  return ortPromise;
}

// ---- agents and their files -----------------------------------------------------

const modelsUrl = (path) => assetUrl(`models/${path}`);
let agentsPromise = null;

async function fetchJson(path, what) {
  let response;
  try {
    response = await fetch(modelsUrl(path));
  } catch (error) {
    throw new ModelError(`${what} (${path}) could not be downloaded: ${error.message}. Reload the page.`);
  }
  if (!response.ok) {
    throw new ModelError(
      `${what} (${path}) is missing from this site (HTTP ${response.status}). ` +
        "Rebuild the site with `make build`: it copies every agent under models/ into it.",
    );
  }
  try {
    return await response.json();
  } catch {
    throw new ModelError(`${what} (${path}) is not valid JSON. Rebuild the site with \`make build\`.`);
  }
}

/** Every agent the build shipped, each with its card checked by Python against the
 *  maze code's encoding: problems is [] for an agent the page may use. */
export function loadAgents(python) {
  agentsPromise ??= (async () => {
    const index = await fetchJson("agents.json", "The list of agents");
    return Promise.all(
      index.agents.map(async ({ agent, name, card: cardPath }) => {
        let card;
        try {
          card = await fetchJson(`${agent}/${cardPath}`, `The model card of "${agent}"`);
        } catch (error) {
          return { agent, name, card: null, problems: [error.message] };
        }
        const check = await python.call("saferlhub.maze.model_cards.check_card", { card });
        const problems = check.problems.map(
          (p) => `${agent}/model_card.json does not match this site's maze code: ${p}.`,
        );
        return { agent, name: card.name ?? name, card, problems };
      }),
    );
  })();
  agentsPromise.catch(() => (agentsPromise = null));
  return agentsPromise;
}

async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null; // only in secure contexts (https, localhost)
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fetchModel(agent, key, file) {
  const path = `${agent}/${file.path}`;
  const fix =
    "Rebuild the site with `make build` (it copies models/ into the site); if models/ itself is " +
    "damaged, restore it from git or run `make models`.";
  let response;
  try {
    response = await fetch(modelsUrl(path));
  } catch (error) {
    throw new ModelError(`The model file ${path} could not be downloaded (${error.message}). Reload the page.`);
  }
  if (!response.ok) {
    throw new ModelError(`The model file ${path} is missing from this site (HTTP ${response.status}). ${fix}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const looksLikePage = /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64)));
  const digest = await sha256Hex(bytes);
  if ((file.bytes && bytes.length !== file.bytes) || (digest && file.sha256 && digest !== file.sha256)) {
    throw new ModelError(
      `The model file ${path} is not the ${key} its model card describes ` +
        `(${bytes.length.toLocaleString("en-US")} bytes, expected ${file.bytes?.toLocaleString("en-US")}` +
        `${looksLikePage ? "; it is a web page, such as a 404 page, not a model" : ""}). ${fix}`,
    );
  }
  return bytes;
}

// ---- q_patch's optional inputs ---------------------------------------------------
// q_patch.onnx (export/interp_export.py) gives each patch.k/mask.k input a default: an
// initializer of the same name. onnxruntime (CPython) lets a caller feed such an input;
// onnxruntime-web lists only the other inputs and refuses a feed it does not list. So
// the page drops those defaults from the graph (the card's sha256 is checked first, on
// the file as shipped) and feeds the defaults itself: a zero row, which patches nothing.

const OPTIONAL_INPUT = /^(patch|mask)\.\d+$/;

function readVarint(bytes, pos) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, pos];
}

function varint(value) {
  const out = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/** The top-level fields of a protobuf message: [{field, start, end, data: [start, end]}]. */
function protoFields(bytes) {
  const fields = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    let key;
    [key, pos] = readVarint(bytes, pos);
    const wire = key & 7;
    let dataStart = pos;
    if (wire === 0) [, pos] = readVarint(bytes, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      let length;
      [length, dataStart] = readVarint(bytes, pos);
      pos = dataStart + length;
    } else throw new ModelError(`Unexpected protobuf wire type ${wire} in an ONNX file.`);
    fields.push({ field: Math.floor(key / 8), start, end: pos, data: [dataStart, pos] });
  }
  return fields;
}

const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
};

/** The model without the initializers that give OPTIONAL_INPUT inputs their defaults
 *  (ModelProto.graph = field 7; GraphProto.initializer = field 5; TensorProto.name = 8). */
export function withoutInputDefaults(bytes) {
  const decoder = new TextDecoder();
  const parts = protoFields(bytes).map((f) => {
    if (f.field !== 7) return bytes.subarray(f.start, f.end);
    const graph = bytes.subarray(...f.data);
    const kept = protoFields(graph)
      .filter((g) => {
        if (g.field !== 5) return true;
        const name = protoFields(graph.subarray(...g.data)).find((t) => t.field === 8);
        return !(name && OPTIONAL_INPUT.test(decoder.decode(graph.subarray(...g.data).subarray(...name.data))));
      })
      .map((g) => graph.subarray(g.start, g.end));
    const body = concat(kept);
    return concat([Uint8Array.from([(7 << 3) | 2, ...varint(body.length)]), body]);
  });
  return concat(parts);
}

const sessions = new Map(); // "agent/key" -> Promise<InferenceSession>

/** The file a model name refers to: a card's file key ("planted/q_network"), or a path
 *  under a folder of models ("planted/checkpoints/step_03160.onnx", checked against the
 *  card's checkpoint entry; "interp/random_init_256x256x256x256.onnx", a folder without
 *  a card), as export/interp_runtime.py's model_path resolves them. */
function modelFile(agents, model) {
  const slash = model.indexOf("/");
  const [agentName, key] = [model.slice(0, slash), model.slice(slash + 1)];
  const agent = agents.find((a) => a.agent === agentName);
  if (key.endsWith(".onnx")) {
    if (agent?.problems.length) throw new ModelError(agent.problems.join(" "));
    const listed = agent?.card.files?.checkpoints?.find((entry) => entry.path === key);
    return { agentName, key, file: listed ?? { path: key } };
  }
  if (!agent) throw new ModelError(`No agent "${agentName}" on this site.`);
  if (agent.problems.length) throw new ModelError(agent.problems.join(" "));
  const file = agent.card.files?.[key];
  if (!file) throw new ModelError(`${agentName}/model_card.json names no "${key}" file.`);
  return { agentName, key, file };
}

/** The onnxruntime session of one model ("planted/q_network"), created once. */
export function modelSession(agents, model) {
  if (!sessions.has(model)) {
    const promise = (async () => {
      const { agentName, key, file } = modelFile(agents, model);
      const [ort, shipped] = await Promise.all([loadOrt(), fetchModel(agentName, key, file)]);
      const optional = Object.keys(file.inputs ?? {}).some((name) => OPTIONAL_INPUT.test(name));
      const bytes = optional ? withoutInputDefaults(shipped) : shipped;
      let session;
      try {
        session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], logSeverityLevel: 3 });
      } catch (error) {
        throw new ModelError(
          `The model file ${agentName}/${file.path} could not be read as an ONNX model ` +
            `(${error.message}). Rebuild the site with \`make build\`, or run \`make models\`.`,
        );
      }
      const missing = [
        ...Object.keys(file.inputs ?? {}).filter((n) => !session.inputNames.includes(n)),
        ...Object.keys(file.outputs ?? {}).filter((n) => !session.outputNames.includes(n)),
      ];
      if (missing.length) {
        throw new ModelError(
          `The model file ${agentName}/${file.path} lacks the inputs or outputs its card names: ` +
            `${missing.join(", ")}. Rebuild the models with \`make models\`.`,
        );
      }
      return session;
    })();
    promise.catch(() => sessions.delete(model));
    sessions.set(model, promise);
  }
  return sessions.get(model);
}

/** Float32 values from a call's input: the bytes the Python worker sent beside its JSON. */
function float32Of(data) {
  const bytes = data.byteOffset % 4 ? data.slice() : data; // a Float32Array view needs 4-byte alignment
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Run one call a stepper handed out; return its outputs as float32 bytes (copies). */
export async function runCall(agents, call) {
  const [ort, session] = await Promise.all([loadOrt(), modelSession(agents, call.model)]);
  const feeds = {};
  for (const [name, data] of Object.entries(call.inputs)) {
    feeds[name] = new ort.Tensor("float32", float32Of(data), [call.rows, call.widths[name]]);
  }
  // An optional input the call leaves out takes its default: one row of zeros (patches nothing).
  for (const name of session.inputNames) {
    if (feeds[name] || !OPTIONAL_INPUT.test(name)) continue;
    const width = modelFile(agents, call.model).file.inputs[name][1];
    feeds[name] = new ort.Tensor("float32", new Float32Array(width), [1, width]);
  }
  const results = await session.run(feeds, Object.keys(call.outputs));
  const outputs = {};
  for (const name of Object.keys(call.outputs)) {
    const values = results[name].data;
    outputs[name] = new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
  }
  return outputs;
}

/** Drive a Python stepper to its end: Python hands out calls, onnxruntime-web answers.
 *  shouldStop() is asked between steps; a stopped run returns what Python kept.
 *
 *  Calls that carry a "lane" (the battery's and dreaming's agents) are answered lane by
 *  lane: while Python (in its worker) takes one agent's outputs and makes its next
 *  inputs, this thread runs another agent's network, so the two overlap instead of
 *  taking turns. timing: networkMs in onnxruntime-web, pythonMs waiting for Python. */
export async function runStepper(python, task, args, { agents, onProgress, shouldStop } = {}) {
  agents ??= await loadAgents(python);
  const timing = { pythonMs: 0, networkMs: 0 };
  const waitFor = async (promise) => {
    const t0 = performance.now();
    try {
      return await promise;
    } finally {
      timing.pythonMs += performance.now() - t0;
    }
  };
  const network = async (calls) => {
    const t0 = performance.now();
    const outputs = [];
    for (const call of calls) outputs.push(await runCall(agents, call));
    timing.networkMs += performance.now() - t0;
    return outputs;
  };
  const step = (name, payload) => python.call(`${STEPPER}.${name}`, payload);
  let reply = await waitFor(step("start", { task, args }));
  let calls = 0;
  while (!reply.done) {
    if (reply.progress) onProgress?.(reply.progress);
    if (shouldStop?.()) {
      const kept = await waitFor(step("close", { session: reply.session }));
      return { result: kept, stopped: true, calls, timing };
    }
    try {
      if (reply.calls.some((call) => call.lane !== undefined)) {
        const lanes = await runLanes(reply, { network, step, waitFor, onProgress, shouldStop });
        calls += lanes.calls;
        if (lanes.stopped) {
          const kept = await waitFor(step("close", { session: reply.session }));
          return { result: kept, stopped: true, calls, timing };
        }
        reply = lanes.reply;
        continue;
      }
      const outputs = await network(reply.calls);
      calls += reply.calls.length;
      reply = await waitFor(step("answer", { session: reply.session, outputs }));
    } catch (error) {
      await step("close", { session: reply.session }).catch(() => {});
      throw error;
    }
  }
  return { result: reply.result, stopped: false, calls, timing };
}

/** Answer lanes as they become ready until a reply without lanes (or the end) comes:
 *  run a ready lane's calls, send its outputs without waiting, run the next ready lane. */
async function runLanes(first, { network, step, waitFor, onProgress, shouldStop }) {
  const session = first.session;
  const ready = new Map(); // lane -> its calls, in the order they came
  const take = (reply) => {
    for (const call of reply.calls) {
      if (!ready.has(call.lane)) ready.set(call.lane, []);
      ready.get(call.lane).push(call);
    }
  };
  take(first);
  const inFlight = new Set();
  let last = null; // the reply that ends the lanes: done, or calls without lanes
  let failure = null;
  let stopped = false;
  let calls = 0;
  let wake = () => {};
  for (;;) {
    if (failure || stopped || !ready.size) {
      if (!inFlight.size) break; // Python answered every lane sent: nothing more will come
      await waitFor(new Promise((resolve) => (wake = resolve)));
      continue;
    }
    if (shouldStop?.()) {
      stopped = true;
      continue;
    }
    const [lane, laneCalls] = ready.entries().next().value;
    ready.delete(lane);
    const outputs = await network(laneCalls);
    calls += laneCalls.length;
    const request = step("answer", { session, outputs, lane })
      .then((reply) => {
        if (reply.done || reply.calls.some((call) => call.lane === undefined)) {
          last = reply; // runStepper goes on with it (and reports its progress)
          return;
        }
        if (reply.progress) onProgress?.(reply.progress);
        take(reply);
      })
      .catch((error) => (failure ??= error))
      .finally(() => {
        inFlight.delete(request);
        wake();
      });
    inFlight.add(request);
  }
  if (failure) throw failure;
  return { reply: last, stopped, calls };
}

"""Decoding on transformers' modules and weights, without `generate()`: what the families' fast engines share.

A stack of decoder layers (a backbone, CSM's depth decoder …) runs here (`Stack`) with a preallocated key/value
cache (`StaticKV`) and a mask built once per shape, calling the layers themselves, so that a PEFT
adapter inside them works and switches on and off as it does for `generate()`. Sampling uses the
very logits processors `generate()` would build from the same settings (temperature, top-k, top-p,
min-p), so the fast engine draws from the same distributions; a setting that needs more
(repetition penalty …) is refused with the engine that supports it.

`compiled` wraps a loop's step in `torch.compile` (Inductor's fused kernels, off CUDA; on CUDA a loop
captures its step as a CUDA graph instead). Random draws stay eager's own (`fallback_random`), so a
compiled loop draws what the eager one draws, up to the rounding of fused arithmetic.

`pick` draws with the Gumbel-max trick (the argmax of the logits plus Gumbel noise is a draw from
their softmax): no host synchronisation and nothing of data-dependent shape, so a draw can be
captured in a CUDA graph — `torch.multinomial` cannot (pytorch/pytorch#134442).
"""

from __future__ import annotations

import logging

from ttsbench.core.errors import UserError

log = logging.getLogger(__name__)

# generate()'s processors that depend on the logits alone (not on the tokens so far): safe in our loops
PURE_WARPERS = ("TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper", "MinPLogitsWarper")


class StaticKV:
    """Keys and values of every layer of a stack, preallocated and reused: `write` fills slots in place
    (no reallocation, no host sync) and hands back the whole buffer, which the mask restricts."""

    def __init__(self, config, batch: int, length: int, dtype, device):
        import torch

        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        shape = (batch, config.num_key_value_heads, length, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(config.num_hidden_layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(config.num_hidden_layers)]
        for buffer in self.keys + self.values:  # captured graphs read and write them where they are
            torch._dynamo.mark_static_address(buffer)

    def write(self, layer_idx: int, slots, key, value):
        self.keys[layer_idx].index_copy_(2, slots, key)
        self.values[layer_idx].index_copy_(2, slots, value)
        return self.keys[layer_idx], self.values[layer_idx]

    def clear(self) -> None:
        """Zeros everywhere: a masked slot is multiplied by 0, and a value left by an earlier call could be NaN."""
        for buffer in self.keys + self.values:
            buffer.zero_()


class Rotary:
    """A stack's RoPE cos/sin for positions 0…length-1, computed once by its own rotary module."""

    def __init__(self, stack, length: int, dtype, device):
        import torch

        probe = torch.zeros(1, 1, 1, dtype=dtype, device=device)
        self.cos, self.sin = stack.rotary_emb(probe, position_ids=torch.arange(length, device=device)[None])

    def at(self, positions):
        """(cos, sin) for `positions` (B|1, q), shaped to broadcast over heads."""
        return self.cos[0, positions].unsqueeze(1), self.sin[0, positions].unsqueeze(1)


class Stack:
    """A stack of Llama layers (pre-norm attention with RoPE, then a gated MLP) and its final norm, run
    one step at a time on a `StaticKV`.

    Its sub-modules are called as they are, so LoRA layers inside them apply (and switch off with
    the adapter), and attention is transformers' own SDPA function: the arithmetic of the layers'
    forward without its per-call overhead. The modules are looked up once per generation
    (`refresh`), not per token: an adapter added or merged between two generations is seen.
    """

    def __init__(self, stack):
        self.stack = stack
        self.refresh()

    def refresh(self) -> None:
        self.norm = self.stack.norm
        self.layers = [
            (
                layer.input_layernorm,
                layer.self_attn,
                layer.self_attn.q_proj,
                layer.self_attn.k_proj,
                layer.self_attn.v_proj,
                layer.self_attn.o_proj,
                layer.post_attention_layernorm,
                layer.mlp,
                layer.self_attn.head_dim,
                idx,
                layer.self_attn.scaling,
            )
            for idx, layer in enumerate(self.stack.layers[: self.stack.config.num_hidden_layers])
        ]

    def __call__(self, hidden, kv: StaticKV, slots, rotary, mask):
        """`hidden` (B, q, D) written to cache `slots`; `rotary` is `Rotary.at(positions)`; `mask`
        (B|1, 1, q, cache length) is True where a query may attend."""
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        cos, sin = rotary
        for norm_in, attn, q_proj, k_proj, v_proj, o_proj, norm_mid, mlp, head_dim, idx, scaling in self.layers:
            x = norm_in(hidden)
            shape = (*x.shape[:-1], -1, head_dim)
            q = q_proj(x).view(shape).transpose(1, 2)
            k = k_proj(x).view(shape).transpose(1, 2)
            v = v_proj(x).view(shape).transpose(1, 2)
            q, k = q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin
            k, v = kv.write(idx, slots, k, v)
            out, _ = sdpa_attention_forward(attn, q, k, v, mask, dropout=0.0, scaling=scaling)
            hidden = hidden + o_proj(out.reshape(*x.shape[:-1], -1))
            hidden = hidden + mlp(norm_mid(hidden))
        return self.norm(hidden)


def _rotate_half(x):
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def prefill_mask(valid, length: int):
    """(B, 1, L, K) mask for a left-padded prefill of `length` positions: causal, padding hidden.

    A padding position attends to itself, so that its (unused) keys and values stay finite.
    """
    import torch

    slots = torch.arange(valid.shape[1], device=valid.device)
    query = slots[:length, None]
    return (valid[:, None, None, :] & (query >= slots[None, :])[None, None]) | (query == slots[None, :])[None, None]


def compiled(fn, device):
    """`fn` compiled for calls of recurring shapes (see the module doc); recompiled per new shape.

    A machine where compiling fails (no C++ compiler for Inductor on a CPU, say) gets one line
    naming the setting and the fix at the first call, not PyTorch's traceback."""
    import torch

    # a bench meets several batch sizes, cache lengths, adapter states and models: past PyTorch's default
    # of 8 compiled versions per function it would fall back to eager without a word
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
    fast = torch.compile(fn, dynamic=False, options={"triton.cudagraphs": False, "fallback_random": True})

    def call(*args):
        try:
            return fast(*args)
        except torch._dynamo.exc.BackendCompilerFailed as e:
            why = " ".join(str(e).split("Set TORCHDYNAMO_VERBOSE")[0].split())[:200]
            raise UserError(
                f"generation.compile: torch.compile failed on {device} ({why}); set compile: false"
                + ("" if str(device).startswith("cuda") else ", or install a C++ compiler for it (apt-get install g++)")
            ) from None

    return call


#: shape → why its CUDA graph could not be captured (it then runs step by step); the runner records these
GRAPH_FALLBACKS: dict[str, str] = {}


class StepLoop:
    """A family's fast decode loop: everything but the prompt made once per shape, and each new token (or frame)
    made by one function, `step`, that reads and writes only the loop's own buffers — no host sync, no tensor
    of data-dependent shape. So the same function runs three ways: on CUDA captured once as a CUDA graph (per
    adapter state: a graph keeps the modules as they were when captured) and replayed each step, one launch
    instead of thousands; elsewhere eagerly, or (`compile`) compiled by Inductor; on CUDA `compile` adds
    nothing, the graph being one launch already.

    The loop owns the main stack (`stack`: the layers a new token goes through, on a static cache) and the
    state every step shares: the stack's last hidden state, the step index `t`, the prompt's length `start`
    (step t writes cache slot start + t), each row's RoPE position, which cache slots a query may see
    (`valid`), each row's cap and whether it is done. A subclass calls `allocate` and then `setup` (with its
    own buffers too) in `__init__`, implements `step` and `refresh` (looking its modules up again: an adapter
    may have been added or merged since the last call), and may extend `reset`. A model keeps its
    `MAX_LOOPS` most recently used loops; cache lengths are rounded up to `LENGTH_STEP`, so shapes recur.
    """

    LENGTH_STEP = 256
    MAX_LOOPS = 4

    @classmethod
    def get(
        cls,
        net,
        batch: int,
        length: int,
        dtype,
        device,
        sampling: dict,
        sample: bool,
        compile: bool,
        graphs: bool = True,
    ):
        length = -(-length // cls.LENGTH_STEP) * cls.LENGTH_STEP
        key = (
            cls.__name__,
            batch,
            length,
            dtype,
            str(device),
            tuple(sorted(sampling.items())),
            sample,
            compile,
            graphs,
        )
        loops = net.__dict__.setdefault("_ttsbench_fast_loops", {})
        loop = loops.pop(key, None) or cls(net, batch, length, dtype, device, sampling, sample, compile, graphs)
        loops[key] = loop  # the most recent last
        while len(loops) > cls.MAX_LOOPS:
            loops.pop(next(iter(loops)))
        return loop

    def allocate(self, stack, batch: int, length: int, dtype, device) -> list:
        """The main stack, its cache and RoPE table, and the shared state (see the class doc); the buffers."""
        import torch

        self.stack = Stack(stack)
        self.kv = StaticKV(stack.config, batch, length, dtype, device)
        self.slots = torch.arange(length, device=device)
        self.rotary = Rotary(stack, length, dtype, device)
        self.hidden = torch.zeros(batch, stack.config.hidden_size, dtype=dtype, device=device)
        self.t = torch.zeros(1, dtype=torch.long, device=device)  # steps made so far
        self.start = torch.zeros(1, dtype=torch.long, device=device)  # the prompt's length: step t's cache slot - t
        self.position = torch.zeros(batch, 1, dtype=torch.long, device=device)  # RoPE position of the next input
        self.valid = torch.zeros(batch, length, dtype=torch.bool, device=device)  # cache slots a query may see
        self.caps = torch.zeros(batch, dtype=torch.long, device=device)
        self.done = torch.zeros(batch, dtype=torch.bool, device=device)
        return [
            self.slots,
            self.rotary.cos,
            self.rotary.sin,
            self.hidden,
            self.t,
            self.start,
            self.position,
            self.valid,
            self.caps,
            self.done,
        ]

    def setup(self, net, device, compile: bool, graphs: bool, buffers) -> None:
        """The buffers marked static (graphs and compiled code read and write them where they are), and how
        steps will run."""
        import torch

        for buffer in buffers:
            torch._dynamo.mark_static_address(buffer)
        self.net, self.device = net, torch.device(device)
        self.captured = graphs and self.device.type == "cuda"  # one CUDA graph per step, replayed
        self.graphs: dict = {}  # adapter state → its captured CUDA graph
        self.capture_seconds: dict = {}  # adapter state → seconds its capture took
        self.run_step = compiled(self.step, device) if compile and not self.captured else self.step

    def step(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

    def reset(self, attention, caps: list[int], **prompt) -> None:
        """The state for a new call: empty caches, the prompt's slots valid, no step yet. `prompt` holds what a
        subclass needs of the prompt besides its mask (Orpheus: its token ids)."""
        import torch

        length = attention.shape[1]
        self.kv.clear()
        self.valid.zero_()
        self.valid[:, :length] = attention.bool()
        self.t.zero_()
        self.start.fill_(length)
        self.caps.copy_(torch.tensor(caps, device=self.device))
        self.done.zero_()

    def generate(self, embeds, attention, caps: list[int], check_every: int, **prompt) -> int:
        """A call: the prompt (its input embeddings and left-padded attention mask) through the main stack, then
        up to the largest cap steps, stopping once every row is done (looked at every `check_every` steps: a host
        sync); how many steps were made."""
        self.refresh()
        stepper = self._stepper()  # on CUDA, captured on first use (eager where capturing fails)
        self.reset(attention, caps, **prompt)
        length = attention.shape[1]
        positions = (attention.long().cumsum(-1) - 1).masked_fill(attention == 0, 1)
        hidden = self.stack(
            embeds, self.kv, self.slots[:length], self.rotary.at(positions), prefill_mask(self.valid, length)
        )[:, -1]
        self.hidden.copy_(hidden)
        self.position.copy_(positions[:, -1:] + 1)
        limit = max(caps)
        for t in range(1, limit + 1):
            stepper()
            if t == limit or (t % check_every == 0 and bool(self.done.all())):
                return t
        return 0

    def _stepper(self):
        """The captured graph's replay, or — off CUDA, or where capturing this shape failed — the step itself.
        A failed capture is said once per shape (a warning, and `GRAPH_FALLBACKS`, which run.json keeps)."""
        if not self.captured:
            return self.run_step
        try:
            return self._graph()
        except Exception as e:  # a CUDA graph this shape cannot be captured as: generate step by step instead
            batch, length = self.valid.shape
            key = f"batch {batch}, {length} positions"
            if key not in GRAPH_FALLBACKS:
                reason = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
                GRAPH_FALLBACKS[key] = reason
                log.warning(f"CUDA graphs off for {key}: {reason}; this shape generates step by step")
            self.captured = False
            return self.run_step

    def _graph(self):
        import time

        import torch

        state = adapter_state(self.net)
        if state not in self.graphs:
            started = time.perf_counter()
            batch, length = self.valid.shape  # a sane state for the warm-up steps: one slot to attend to, no cap
            self.reset(
                torch.ones(batch, 1, dtype=torch.long, device=self.device),
                [length - 1] * batch,
                ids=torch.zeros(batch, 1, dtype=torch.long, device=self.device),
            )
            self.hidden.zero_()
            self.position.zero_()
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            before = torch.cuda.get_sync_debug_mode()
            torch.cuda.set_sync_debug_mode("error")  # a step that waits on the host fails here, by name
            try:
                with torch.cuda.stream(side):
                    for _ in range(2):  # warm-up off the capture: lazy initialisations, cuBLAS workspaces
                        self.step()
                torch.cuda.current_stream(self.device).wait_stream(side)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    self.step()
            finally:
                torch.cuda.set_sync_debug_mode(before)
            torch.cuda.synchronize(self.device)
            self.graphs[state] = graph
            self.capture_seconds[state] = time.perf_counter() - started
        return self.graphs[state].replay


def adapter_state(net) -> tuple:
    """What a captured graph depends on besides the loop's shape: the model, its LoRA layers' adapter
    switches (active, disabled, merged) and the storage of their weights (loading another adapter
    replaces them). A change makes a new graph; the old ones stay for when the state comes back."""
    layers = [m for m in net.modules() if hasattr(m, "lora_A") and hasattr(m, "disable_adapters")]
    switches = {(bool(m.disable_adapters), tuple(m.merged_adapters), tuple(m.active_adapters)) for m in layers}
    weights = tuple(p.data_ptr() for m in layers for p in (*m.lora_A.parameters(), *m.lora_B.parameters()))
    return id(net), tuple(sorted(switches)), hash(weights)


def processors(net, config):
    """The logits processors generate() builds for `net` from a prepared generation config; only the pure
    warpers (`PURE_WARPERS`) are accepted."""
    from transformers import LogitsProcessorList

    found = net._get_logits_processor(
        generation_config=config,
        input_ids_seq_length=1,
        encoder_input_ids=None,
        prefix_allowed_tokens_fn=None,
        logits_processor=LogitsProcessorList(),
    )
    check_processors(found)
    return list(found)


def check_processors(processors, engine_words: str = "generation: {engine: transformers}") -> None:
    for p in processors:
        if type(p).__name__ not in PURE_WARPERS:
            raise UserError(
                f"generation setting behind {type(p).__name__}: the fast engine supports temperature, "
                f"top_k, top_p and min_p only; use {engine_words}"
            )


def pick(logits, processors, sample: bool):
    """One token per row: `processors` as generate() applies them, then a draw (or the argmax).

    The draw is Gumbel-max: argmax(logits + G) with G = −log(−log U), U uniform in [0, 1), picks token i
    with probability softmax(logits)_i — the distribution `torch.multinomial` samples, without its host
    sync. A token the processors removed (−inf) is never picked: U = 0 gives G = −inf, never +inf."""
    import torch

    logits = logits.float()
    for p in processors:
        logits = p(None, logits)
    if sample:
        return (logits - torch.log(-torch.log(torch.rand_like(logits)))).argmax(-1)
    return logits.argmax(-1)

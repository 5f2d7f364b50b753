"""Decoding on transformers' modules and weights, without `generate()`: what the families' fast engines share.

A stack of decoder layers (a backbone, CSM's depth decoder …) runs here (`Stack`) with a preallocated key/value
cache (`StaticKV`) and a mask built once per shape, calling the layers themselves, so that a PEFT
adapter inside them works and switches on and off as it does for `generate()`. Sampling uses the
very logits processors `generate()` would build from the same settings (temperature, top-k, top-p,
min-p), so the fast engine draws from the same distributions; a setting that needs more
(repetition penalty …) is refused with the engine that supports it.

`compiled` wraps a loop's per-step functions in `torch.compile`: on CUDA with CUDA graphs
(reduce-overhead: one graph per shape, replayed without launching kernels one by one), elsewhere
Inductor's fused kernels. Random draws stay eager's own (`fallback_random`), so a compiled loop
draws what the eager one draws, up to the rounding of fused arithmetic.
"""

from __future__ import annotations

from dataprep.errors import UserError

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
        self.layers = [(layer.input_layernorm, layer.self_attn, layer.self_attn.q_proj, layer.self_attn.k_proj,
                        layer.self_attn.v_proj, layer.self_attn.o_proj, layer.post_attention_layernorm, layer.mlp,
                        layer.self_attn.head_dim, idx, layer.self_attn.scaling)
                       for idx, layer in enumerate(self.stack.layers[: self.stack.config.num_hidden_layers])]

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
    return ((valid[:, None, None, :] & (query >= slots[None, :])[None, None])
            | (query == slots[None, :])[None, None])


def compiled(fn, device):
    """`fn` compiled for calls of recurring shapes (see the module doc); recompiled per new shape.

    A machine where compiling fails (no C++ compiler for Inductor on a CPU, say) gets one line
    naming the setting and the fix at the first call, not PyTorch's traceback."""
    import torch

    # a bench meets several batch sizes, cache lengths, adapter states and models: past PyTorch's default
    # of 8 compiled versions per function it would fall back to eager without a word
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
    fast = torch.compile(fn, dynamic=False, options={"triton.cudagraphs": str(device).startswith("cuda"),
                                                     "fallback_random": True})

    def call(*args):
        try:
            return fast(*args)
        except torch._dynamo.exc.BackendCompilerFailed as e:
            why = " ".join(str(e).split("Set TORCHDYNAMO_VERBOSE")[0].split())[:200]
            raise UserError(f"generation.compile: torch.compile failed on {device} ({why}); set compile: false"
                            + ("" if str(device).startswith("cuda") else
                               ", or install a C++ compiler for it (apt-get install g++)")) from None

    return call


def check_processors(processors, engine_words: str = "generation: {engine: transformers}") -> None:
    for p in processors:
        if type(p).__name__ not in PURE_WARPERS:
            raise UserError(f"generation setting behind {type(p).__name__}: the fast engine supports temperature, "
                            f"top_k, top_p and min_p only; use {engine_words}")


def pick(logits, processors, sample: bool):
    """One token per row: `processors` as generate() applies them, then a draw (or the argmax)."""
    import torch

    logits = logits.float()
    for p in processors:
        logits = p(None, logits)
    if sample:
        return torch.multinomial(torch.softmax(logits, dim=-1), num_samples=1).squeeze(1)
    return logits.argmax(-1)

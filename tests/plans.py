"""A typed plan (benchmark.plan.Suite) built directly, for tests that need a suite's rows and scorers but no files."""

from ttsbench.benchmark.plan import VARIANTS, GenerationOptions, ModelSpec, Prompt, PromptSet, Suite


def plan_of(rows, scorers, gates=(), **fields) -> Suite:
    return Suite(
        name="s",
        model=ModelSpec("fake"),
        prompts=PromptSet("t", "1", (Prompt("p01", "Hello there."),)),
        variants=tuple(VARIANTS[r] for r in rows if VARIANTS[r].model),
        anchors=tuple(VARIANTS[r] for r in rows if not VARIANTS[r].model),
        seeds=(0,),
        generation=GenerationOptions(),
        scorers={s: {} for s in scorers},
        gates=tuple(gates),
        **fields,
    )

"""Rebuilds a frozen TorchScript graph as a ``torch.fx`` GraphModule, so ``torch.compile`` can take it.

The Inception weights only exist as TorchScript, and TorchScript cannot be compiled by inductor. After
freezing and folding (:func:`ganforge.metrics.inception._optimized_graph`) the graph is a straight line of
``aten`` tensor ops plus some shape checks (``size`` / ``eq`` / ``If``) on the input. This interpreter runs the
graph once on an example input: tensor ops become FX nodes (the same ``aten`` overloads, the same constants),
while shape arithmetic and branches are evaluated on the example and folded away, so the result is
specialised to the example's shape. Every tensor op is executed while converting, so a graph this cannot
express fails here, not later.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn

#: TorchScript's list and scalar ops, evaluated as Python does when no input is a tensor (``aten.__getitem__``
#: and friends cannot be called from Python with plain lists).
_PYTHON_OPS: dict[str, Callable[..., Any]] = {
    "aten::__getitem__": operator.getitem,
    "aten::len": len,
    "aten::eq": operator.eq,
    "aten::ne": operator.ne,
    "aten::lt": operator.lt,
    "aten::le": operator.le,
    "aten::gt": operator.gt,
    "aten::ge": operator.ge,
    "aten::add": operator.add,
    "aten::sub": operator.sub,
    "aten::mul": operator.mul,
    "aten::floordiv": operator.floordiv,
    "aten::__not__": operator.not_,
    "aten::__and__": operator.and_,
    "aten::__or__": operator.or_,
    "aten::Int": int,
    "aten::Float": float,
    "aten::Bool": bool,
}


class UnsupportedGraphError(ValueError):
    """The TorchScript graph uses something this converter does not express (loops, non-aten calls, ...)."""


def _has_node(value: Any) -> bool:
    if isinstance(value, fx.Node):
        return True
    return isinstance(value, (list, tuple)) and any(_has_node(v) for v in value)


def script_to_fx(script: torch.jit.ScriptModule, example: torch.Tensor) -> fx.GraphModule:
    """FX version of the frozen ``script`` (one tensor input besides ``self``), specialised to ``example``'s shape."""
    graph = script.graph
    inputs = list(graph.inputs())
    if len(inputs) != 2:
        raise UnsupportedGraphError(f"expected a frozen graph with one input besides self, got {len(inputs) - 1}")
    out = fx.Graph()
    root = nn.Module()
    # TorchScript value -> (concrete value on the example, FX node or Python constant)
    env: dict[Any, tuple[Any, Any]] = {inputs[1]: (example, out.placeholder("x"))}

    def run(block: Any) -> None:
        for node in block.nodes():
            kind, outs = node.kind(), list(node.outputs())
            if kind == "prim::Constant":
                if outs[0].type().kind() == "TensorType":
                    name = f"const{len(root._buffers)}"
                    root.register_buffer(name, node.t("value"))
                    env[outs[0]] = (node.t("value"), out.get_attr(name))
                else:
                    value = outs[0].toIValue()
                    env[outs[0]] = (value, value)
                continue
            concrete = [env[i][0] for i in node.inputs()]
            symbolic = [env[i][1] for i in node.inputs()]
            if kind == "prim::ListConstruct":
                env[outs[0]] = (concrete, symbolic)
            elif kind == "prim::TupleConstruct":
                env[outs[0]] = (tuple(concrete), tuple(symbolic))
            elif kind in ("prim::ListUnpack", "prim::TupleUnpack"):
                for o, c, s in zip(outs, concrete[0], symbolic[0], strict=True):
                    env[o] = (c, s)
            elif kind == "prim::If":  # a shape check: take the branch the example takes
                branch = list(node.blocks())[0 if bool(concrete[0]) else 1]
                run(branch)
                for o, r in zip(outs, branch.returnNode().inputs(), strict=True):
                    env[o] = env[r]
            elif kind in _PYTHON_OPS and not any(isinstance(c, torch.Tensor) for c in concrete):
                result = _PYTHON_OPS[kind](*concrete)
                env[outs[0]] = (result, result)
            elif kind.startswith("aten::"):
                op = getattr(torch.ops.aten, kind.split("::", 1)[1])
                result = op(*concrete)
                if isinstance(result, torch.Tensor) and _has_node(symbolic):
                    env[outs[0]] = (result, out.call_function(op, tuple(symbolic)))
                elif len(outs) == 1:  # shape arithmetic on the example: a constant of the specialised graph
                    env[outs[0]] = (result, result)
                else:
                    for o, r in zip(outs, result, strict=True):
                        env[o] = (r, r)
            else:
                raise UnsupportedGraphError(f"cannot convert TorchScript node {kind} to FX")

    run(graph)
    out.output(env[next(iter(graph.outputs()))][1])
    return fx.GraphModule(root, out)

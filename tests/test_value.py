"""Value's public surface: construction, operators with plain numbers, errors, repr."""

from __future__ import annotations

import copy
import gc
import math
import sys
from fractions import Fraction
from typing import Any

import pytest

from engine import Value, as_value, scope
from engine.value import from_op, is_wrapped

# ---------------------------------------------------------------- construction


@pytest.mark.parametrize("number", [2, 2.5, -0.0, Fraction(1, 4), 10**15])
def test_value_accepts_real_numbers_and_stores_a_float(number: object) -> None:
    value = Value(number)
    assert type(value.data) is float
    assert value.data == float(number)
    assert value.grad == 0.0
    assert value.op == "" and value.children == () and value.local_grads == ()


def test_value_accepts_numpy_scalars() -> None:
    numpy = pytest.importorskip("numpy")
    assert Value(numpy.float32(1.5)).data == 1.5
    assert Value(numpy.int64(3)).data == 3.0
    assert type(Value(numpy.float64(2.0)).data) is float


@pytest.mark.parametrize(
    "bad, type_name",
    [("2.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), (True, "bool")],
)
def test_value_refuses_non_numbers_naming_the_value_and_its_type(
    bad: object, type_name: str
) -> None:
    with pytest.raises(TypeError, match=type_name) as error:
        Value(bad)
    assert repr(bad) in str(error.value)


def test_value_of_a_value_explains_what_to_do() -> None:
    with pytest.raises(TypeError, match="already a Value"):
        Value(Value(1.0))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_value_refuses_nan_and_infinity(bad: float) -> None:
    with pytest.raises(ValueError, match="nan or infinity"):
        Value(bad)


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label must be a str, not int 3"):
        Value(1.0, label=3)


def test_value_has_slots_and_identity_hashing() -> None:
    a, b = Value(1.0), Value(1.0)
    assert not hasattr(a, "__dict__")
    assert a != b and len({a, b, a}) == 2
    assert {a: 1}[a] == 1


# ---------------------------------------------------------------- operators


def test_operators_with_plain_numbers_on_either_side() -> None:
    v = Value(4.0)
    assert (v + 1).data == 5.0 and (1 + v).data == 5.0
    assert (v - 1).data == 3.0 and (2 - v).data == -2.0
    assert (v * 3).data == 12.0 and (3 * v).data == 12.0
    assert (v / 2).data == 2.0 and (1 / v).data == 0.25
    assert (v**2).data == 16.0 and (2**v).data == 16.0
    assert (v ** Value(0.5)).data == 2.0
    assert (-v).data == -4.0 and (+v) is v
    assert sum([v, v, v]).data == 12.0
    assert v.data == 4.0


def test_reflected_operators_record_the_number_as_the_first_child() -> None:
    v = Value(4.0, label="v")
    for result in (2 - v, 1 / v, 2**v, 3 * v, 1 + v):
        number, operand = result.children
        assert operand is v and number.op == "" and number.children == ()


UNKNOWN_OPERANDS = {
    "v + 'a'": lambda v: v + "a",
    "None * v": lambda v: None * v,
    "v - None": lambda v: v - None,
    "v / [1]": lambda v: v / [1],
    "v ** '2'": lambda v: v ** "2",
    "'2' ** v": lambda v: "2" ** v,
    "v + True": lambda v: v + True,
}


@pytest.mark.parametrize("expression", UNKNOWN_OPERANDS)
def test_unknown_operand_types_raise_pythons_type_error(expression: str) -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        UNKNOWN_OPERANDS[expression](Value(1.0))


def test_a_custom_class_gets_its_reflected_operator() -> None:
    class Vector:
        def __radd__(self, other: object) -> str:
            return "Vector.__radd__"

        def __rmul__(self, other: object) -> str:
            return "Vector.__rmul__"

        def __rpow__(self, other: object) -> str:
            return "Vector.__rpow__"

    v = Value(1.0)
    assert v + Vector() == "Vector.__radd__"
    assert v * Vector() == "Vector.__rmul__"
    assert v ** Vector() == "Vector.__rpow__"


def test_numbers_other_than_int_and_float_mix_in() -> None:
    v = Value(1.0)
    assert (v + Fraction(1, 2)).data == 1.5
    assert as_value(Fraction(1, 4)).data == 0.25
    assert as_value(v) is v
    assert as_value("a") is NotImplemented


def test_a_wrapped_number_says_so_and_a_value_you_make_does_not() -> None:
    x = Value(2.0)
    for number in (3, 3.0, Fraction(3, 1)):
        product = x * number
        assert [is_wrapped(child) for child in product.children] == [False, True]
        assert [is_wrapped(child) for child in (number + x).children] == [True, False]
    assert not is_wrapped(Value(3.0)) and not is_wrapped(x * 3)
    assert not is_wrapped(from_op(3.0, "", (), ()))
    assert not is_wrapped(copy.deepcopy(x * 3).children[1])  # a copy forgets it (documented)


def test_mixing_in_nan_or_infinity_is_refused_like_in_value() -> None:
    with pytest.raises(ValueError, match="nan or infinity"):
        Value(1.0) + math.nan
    with pytest.raises(ValueError, match="nan or infinity"):
        math.inf * Value(1.0)


@pytest.mark.parametrize(
    "make, op, data, local_grads",
    [
        (lambda a, b: a + b, "+", 5.0, (1.0, 1.0)),
        (lambda a, b: a - b, "-", -1.0, (1.0, -1.0)),
        (lambda a, b: a * b, "*", 6.0, (3.0, 2.0)),
        (lambda a, b: a / b, "/", 2.0 / 3.0, (1.0 / 3.0, -2.0 / 9.0)),
        (lambda a, b: a**b, "**", 8.0, (12.0, 8.0 * math.log(2.0))),
        (lambda a, b: -a, "neg", -2.0, (-1.0,)),
        (lambda a, b: a**3, "**3", 8.0, (12.0,)),
        (lambda a, b: a**0.5, "**0.5", math.sqrt(2.0), (0.5 / math.sqrt(2.0),)),
        (lambda a, b: a.exp(), "exp", math.exp(2.0), (math.exp(2.0),)),
        (lambda a, b: a.log(), "log", math.log(2.0), (0.5,)),
        (lambda a, b: a.tanh(), "tanh", math.tanh(2.0), (1.0 - math.tanh(2.0) ** 2,)),
        (lambda a, b: a.relu(), "relu", 2.0, (1.0,)),
        (lambda a, b: (-a).relu(), "relu", 0.0, (0.0,)),
    ],
)
def test_each_op_records_its_name_inputs_and_local_derivatives(
    make, op: str, data: float, local_grads: tuple[float, ...]
) -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    result = make(a, b)
    assert result.op == op
    assert result.data == pytest.approx(data)
    assert result.local_grads == pytest.approx(local_grads)
    assert result.children[0] is a or result.children[0].children[0] is a


def test_sigmoid_value_and_local_derivative() -> None:
    s = Value(0.0).sigmoid()
    assert (s.op, s.data, s.local_grads) == ("sigmoid", 0.5, (0.25,))


def test_a_value_used_twice_is_kept_twice() -> None:
    a = Value(3.0)
    square = a * a
    assert square.children == (a, a)
    square.backward()
    assert a.grad == 6.0


def test_from_op_makes_a_custom_operation() -> None:
    x = Value(3.0)
    cube = from_op(x.data**3, "cube", (x,), (3 * x.data**2,))
    assert (cube.op, cube.children, cube.local_grads) == ("cube", (x,), (27.0,))
    cube.backward()
    assert x.grad == 27.0


def test_scope_is_recorded_and_restored() -> None:
    with scope("layers.0"):
        inner = Value(1.0) + 1
        with scope("neurons.2"):
            innermost = inner * 2
    assert inner.scope == ("layers.0",)
    assert innermost.scope == ("layers.0", "neurons.2")
    assert (inner + 1).scope == ()


# ---------------------------------------------------------------- errors


def test_log_of_a_non_positive_number() -> None:
    with pytest.raises(ValueError, match=r"^log\(-2\.0\) is undefined: log needs a positive input$"):
        Value(-2.0).log()
    with pytest.raises(ValueError, match=r"log\(0\.0\)"):
        Value(0.0).log()


def test_division_by_zero_names_the_operands() -> None:
    with pytest.raises(ZeroDivisionError, match=r"3\.0 / 0\.0"):
        Value(3.0) / 0
    with pytest.raises(ZeroDivisionError, match=r"1\.0 / 0\.0"):
        1 / Value(0.0)


def test_non_positive_base_with_a_value_exponent() -> None:
    with pytest.raises(ValueError, match=r"\(-2\.0\) \*\* Value\(0\.5\).*base must be positive"):
        Value(-2.0) ** Value(0.5)
    with pytest.raises(ValueError, match="base must be positive"):
        0 ** Value(2.0)


def test_power_errors_name_the_numbers() -> None:
    with pytest.raises(ValueError, match=r"\(-8\.0\) \*\* 0\.5 is not a real number"):
        Value(-8.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match=r"0\.0 \*\* -1"):
        Value(0.0) ** -1
    with pytest.raises(OverflowError, match=r"10\.0 \*\* 400 is too large"):
        Value(10.0) ** 400
    with pytest.raises(ValueError, match=r"2\.0 \*\* inf: the exponent must be a finite"):
        Value(2.0) ** math.inf
    assert (Value(-2.0) ** 3).data == -8.0


def test_overflow_in_exp_and_power_is_explained() -> None:
    with pytest.raises(OverflowError, match=r"exp\(1000\.0\) is too large for a float"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10.0) ** 400
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10.0) ** Value(400.0)
    assert math.isfinite(Value(709.0).exp().data)


def test_arithmetic_past_the_largest_float_follows_python_floats() -> None:
    assert math.isinf((Value(1e308) * 10).data)


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
@pytest.mark.parametrize("squash", ["tanh", "sigmoid"])
def test_tanh_and_sigmoid_never_overflow(x: float, squash: str) -> None:
    v = Value(x)
    out = getattr(v, squash)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert out.data in (-1.0, 0.0, 1.0) and v.grad == 0.0


# ---------------------------------------------------------------- repr


def test_repr_is_short_and_stable() -> None:
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    a = Value(-1.5, label="a")
    (a * 2).backward()
    assert repr(a) == "Value('a', data=-1.5, grad=2.0)"


def test_ordering_values_is_refused_with_the_fix() -> None:
    loss = Value(0.3)
    with pytest.raises(TypeError, match=r"compare their numbers instead, e\.g\. value\.data < 0\.1"):
        loss < 0.1  # noqa: B015 (the comparison is the point)
    with pytest.raises(TypeError, match=r"value\.data >= x\.data"):
        loss >= Value(1.0)  # noqa: B015
    with pytest.raises(TypeError, match="cannot order Values"):
        max([Value(1.0), Value(2.0)])
    assert (Value(2.0) == 2.0) is False  # identity, so Values can live in sets and dicts


def test_a_fraction_exponent_works_like_a_float() -> None:
    root = Value(4.0) ** Fraction(1, 2)
    assert root.data == 2.0 and root.op == "**0.5"


# ---------------------------------------------------------------- numbers at the edges


def test_division_derivative_does_not_square_the_divisor() -> None:
    a, b = Value(1e300), Value(1e155)
    (a / b).backward()
    assert a.grad == pytest.approx(1e-155, rel=1e-12)
    assert b.grad == pytest.approx(-1e-10, rel=1e-12)  # b*b would overflow


def test_division_with_a_finite_result_never_raises() -> None:
    a, b = Value(1.0), Value(1e-200)
    out = a / b
    assert out.data == pytest.approx(1e200, rel=1e-12)
    out.backward()
    assert a.grad == pytest.approx(1e200, rel=1e-12)
    assert b.grad == -math.inf  # the true -1e400 is past the largest float


def test_a_power_with_a_finite_result_never_raises() -> None:
    x = Value(1e-200)
    inverse = x**-1
    assert inverse.data == pytest.approx(1e200, rel=1e-12)
    assert inverse.local_grads == (-math.inf,)  # -1e400 is past the largest float
    root = Value(0.0) ** 0.5
    assert root.data == 0.0 and root.local_grads == (math.inf,)  # a vertical slope


def test_a_power_slope_that_underflows_no_further_than_the_truth() -> None:
    square = Value(1e-200) ** 2
    assert square.data == 0.0  # 1e-400 is below the smallest float
    assert square.local_grads == (pytest.approx(2e-200, rel=1e-12),)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Value(0.0) ** -1, r"^0\.0 \*\* -1 divides by zero"),
        (lambda: Value(-8.0) ** 0.5, r"^\(-8\.0\) \*\* 0\.5 is not a real number"),
        (lambda: Value(1e200) ** 2, r"^1e\+200 \*\* 2 is too large"),
        (lambda: Value(1e200) ** Value(2.0), r"^1e\+200 \*\* Value\(2\.0\) is too large"),
    ],
)
def test_power_errors_name_the_power_as_written(make, message: str) -> None:
    with pytest.raises((ArithmeticError, ValueError), match=message):
        make()


def test_nan_stays_nan() -> None:
    huge = Value(1e308) * 10  # inf
    nan = huge - huge
    assert math.isnan(nan.data)
    assert math.isnan(nan.relu().data)
    assert math.isnan((nan**0).data)  # IEEE would say 1.0
    for name in ("tanh", "sigmoid", "exp", "log"):
        assert math.isnan(getattr(nan, name)().data), name


def test_truth_is_the_number_being_nonzero() -> None:
    assert not Value(0.0) and not Value(-0.0)
    assert Value(1e-300) and Value(-2.0)
    assert not (Value(3.0) - 3)


def test_from_op_needs_one_local_derivative_per_child() -> None:
    x, y = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match=r"len\(children\) is 2 but len\(local_grads\) is 1"):
        from_op(3.0, "plus", (x, y), (1.0,))


def test_from_op_with_many_children_keeps_them_in_order() -> None:
    xs = [Value(float(i)) for i in range(5)]
    total = from_op(10.0, "sum5", xs, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert total.children == tuple(xs)
    assert total.local_grads == (1.0, 2.0, 3.0, 4.0, 5.0)
    total.backward()
    assert [x.grad for x in xs] == [1.0, 2.0, 3.0, 4.0, 5.0]
    leaf = from_op(1.0, "constant", (), ())
    assert leaf.children == () and leaf.local_grads == ()


def test_a_two_input_node_is_one_object_for_the_garbage_collector() -> None:
    """Children and local derivatives sit in the node's slots, not in tuples."""
    a, b = Value(2.0), Value(3.0)
    for node in (a * b, a.tanh(), a + 1):
        referents = gc.get_referents(node)
        assert not any(type(r) is tuple and r for r in referents), referents
        assert all(child in referents for child in node.children)


# ---------------------------------------------------------------------- leaving the graph (issue 19)


@pytest.mark.parametrize(
    "call",
    [math.sin, math.exp, math.isfinite, math.floor, float, int, lambda v: round(v, 2)],
    ids=["sin", "exp", "isfinite", "floor", "float", "int", "round"],
)
def test_a_value_refuses_to_become_a_plain_number(call: Any) -> None:
    with pytest.raises(TypeError, match=r"out of the graph.*v\.tanh\(\).*v\.data"):
        call(Value(2.0))


def test_formatting_a_value_formats_its_number() -> None:
    loss = Value(0.123456)
    assert f"loss {loss:.3f}" == "loss 0.123"
    assert f"{loss}" == repr(loss) == str(loss)


@pytest.mark.parametrize(
    "name, ours", [("_prev", "children"), ("_op", "`op`"), ("_backward", "from_op")]
)
def test_micrograd_names_point_to_ours(name: str, ours: str) -> None:
    v = Value(1.0) * 2
    with pytest.raises(AttributeError, match=ours):
        getattr(v, name)
    with pytest.raises(AttributeError, match=ours):
        setattr(v, name, None)
    assert not hasattr(v, name)  # an AttributeError, never a silent None


def test_micrograd_backward_names_the_stepper() -> None:
    with pytest.raises(AttributeError, match=r"backward\(\).*Stepper"):
        Value(1.0)._backward()


@pytest.mark.parametrize(
    "arguments", [((Value(1.0), Value(2.0)), "+"), ((Value(1.0),),), ([],)], ids=["op", "tuple", "list"]
)
def test_micrograds_constructor_names_from_op(arguments: tuple) -> None:
    with pytest.raises(TypeError, match=r"Value\(3\.0, \.\.\.\).*from_op"):
        Value(3.0, *arguments)


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_relu_at_zero_has_derivative_zero(zero: float) -> None:
    """relu'(0) is 0, as in PyTorch: a neuron whose sum is exactly 0 passes
    no gradient back (pinned here so that it holds without torch installed)."""
    x = Value(zero)
    y = x.relu()
    assert (y.data, y.local_grads) == (0.0, (0.0,))
    (y * 3.0).backward()
    assert x.grad == 0.0
    tiny = Value(1e-300)  # the smallest step above 0 already passes it on
    tiny.relu().backward()
    assert tiny.grad == 1.0


# ---------------------------------------------------------------------- the views' methods (issue 22)


def test_tree_and_backward_steps_are_the_views_of_the_value() -> None:
    """`v.tree()` is the text tree of v, and `v.backward_steps()` steps
    through backward(), leaving the same grads."""
    from engine import backward_steps, text_tree

    def graph() -> tuple[Value, Value]:
        a = Value(2.0, label="a")
        return a, (a * 3).tanh()

    a, out = graph()
    assert out.tree() == text_tree(out)
    assert out.tree().splitlines()[-2:] == [
        "    ├── #0 a  data 2.0000  grad ?",
        "    └── #1  data 3.0000  grad ?",
    ]
    steps = [str(step) for step in out.backward_steps()]
    a2, out2 = graph()
    assert steps == [str(step) for step in backward_steps(out2)] and len(steps) == 2
    a3, out3 = graph()
    out3.backward()
    assert a.grad == a2.grad == a3.grad != 0.0


# ---------------------------------------------------------------------- whole messages (issue 22)
# A message is what a student reads: each is pinned whole, with the numbers
# it names.

PLAIN_NUMBER_HINT = (
    " would take its number out of the graph, with no gradient (math.sin(v) "
    "and math.exp(v) do this too): use a Value operation such as v.tanh() or "
    "v.exp() to keep the gradient, or v.data for the plain number "
)


@pytest.mark.parametrize(
    "call, name",
    [(float, "float"), (int, "int"), (round, "round")],
)
def test_a_plain_number_error_names_the_value_and_the_call(call: Any, name: str) -> None:
    v = Value(2.5, label="v")
    with pytest.raises(TypeError) as error:
        call(v)
    assert str(error.value) == f"{name}() of Value('v', data=2.5, grad=0.0)" + (
        PLAIN_NUMBER_HINT + f"({name}(v.data))"
    )


@pytest.mark.parametrize(
    "compare, written",
    [
        (lambda v: v < 2, "< 2"),
        (lambda v: v <= 2, "<= 2"),
        (lambda v: v > 2, "> 2"),
        (lambda v: v >= 2, ">= 2"),
        (lambda v: 2 < v, "> 2"),  # Python asks the Value: v > 2
        (lambda v: v <= Value(3.0), "<= Value(data=3.0, grad=0.0)"),
    ],
)
def test_an_ordering_error_names_both_sides_and_the_fix(compare: Any, written: str) -> None:
    with pytest.raises(TypeError) as error:
        compare(Value(1.0))
    operator, right = written.split(" ", 1)
    fix = "x.data" if right.startswith("Value") else right
    assert str(error.value) == (
        f"cannot order Values (Value(data=1.0, grad=0.0) {written}): compare their "
        f"numbers instead, e.g. value.data {operator} {fix}"
    )


def test_a_value_of_a_value_error_is_whole() -> None:
    with pytest.raises(TypeError) as error:
        Value(Value(1.0))
    assert str(error.value) == (
        "Value(Value(data=1.0, grad=0.0)): this is already a Value; use it "
        "directly, or Value(v.data) for a new input with the same number"
    )


def test_micrograds_constructor_error_is_whole() -> None:
    with pytest.raises(TypeError) as error:
        Value(3.0, (Value(1.0), Value(2.0)), "+")
    assert str(error.value) == (
        "Value(3.0, ...): a Value you make is an input, Value(data, label=''); "
        "a result gets its children from the operation itself (a + b), or, for "
        "an operation of your own, from engine.value.from_op(data, op, children, "
        "local_grads)"
    )


def test_exp_works_up_to_the_largest_float_and_names_the_limit_past_it() -> None:
    limit = math.log(sys.float_info.max)  # the largest x with a finite exp(x)
    top = Value(limit).exp()
    assert top.data == math.exp(limit) and math.isfinite(top.data)
    past = math.nextafter(limit, math.inf)
    with pytest.raises(OverflowError) as error:
        Value(past).exp()
    assert str(error.value) == (
        f"exp({past!r}) is too large for a float (the limit is about "
        "exp(709.78)); scale your inputs down"
    )


# ---------------------------------------------------------------------- from_op's layouts (issue 22)


def test_from_op_with_two_children_keeps_each_derivative_with_its_child() -> None:
    x, y = Value(1.0), Value(2.0)
    pair = from_op(5.0, "pair", (x, y), (3.0, 4.0))
    assert (pair.op, pair.children, pair.local_grads) == ("pair", (x, y), (3.0, 4.0))
    pair.backward()
    assert (x.grad, y.grad) == (3.0, 4.0)


def test_from_op_with_three_children_keeps_all_three() -> None:
    """Three is the smallest count kept as tuples (a 1-input fused neuron: w, x, b)."""
    w, x, b = Value(2.0), Value(3.0) * 1.0, Value(0.5)
    neuron = from_op(6.5, "neuron", (w, x, b), (3.0, 2.0, 1.0))
    assert not neuron.is_leaf
    assert (neuron.op, neuron.children, neuron.local_grads) == (
        "neuron", (w, x, b), (3.0, 2.0, 1.0)
    )
    neuron.backward()
    assert (w.grad, x.grad, b.grad, x.children[0].grad) == (3.0, 2.0, 1.0, 2.0)


@pytest.mark.parametrize("count", [1, 2])
def test_from_op_with_one_or_two_children_keeps_them_in_slots(count: int) -> None:
    """As the operators do: no tuple for the garbage collector to scan."""
    children = [Value(1.0), Value(2.0)][:count]
    node = from_op(3.0, "mine", children, [1.0] * count)
    referents = gc.get_referents(node)
    assert not any(type(r) is tuple and r for r in referents), referents
    assert node.children == tuple(children)


# ---------------------------------------------------------------------- sigmoid, bit for bit (issue 22)


def test_sigmoid_gives_the_same_bits_as_its_unrolled_code() -> None:
    """engine.unroll replays a graph bit for bit: its sigmoid and Value's
    must be the same formula on each side of 0 (two forms of it differ in
    the last bit for about a third of the numbers between 0 and 1)."""
    from engine import unroll

    for a in [-3.0, -0.5, -1e-9, 0.0, 1e-9, 0.1, 0.25, 0.4654857397710754,
              0.7661946684875188, 0.999, 1.0, 2.5]:
        x = Value(a)
        s = x.sigmoid()
        code = unroll(s)
        assert code() == s.data, a
    assert Value(0.0).sigmoid().data == 0.5


def test_each_operator_says_what_it_computes() -> None:
    """help(Value) shows each operator's formula; the reflected one says
    that the plain number is on the left."""
    for name, formula in [("add", "a + b"), ("sub", "a - b"), ("mul", "a * b"),
                          ("truediv", "a / b")]:
        assert getattr(Value, f"__{name}__").__doc__ == formula
        assert getattr(Value, f"__r{name}__").__doc__ == f"{formula}, where a is a plain number"


@pytest.mark.parametrize(
    "a, n, slope",
    [
        (1e-150, -2, -math.inf),  # -2 * 1e450
        (-1e-150, -2, math.inf),  # -2 * (-1e450): an odd power of a negative number
        (-1e-200, -1, -math.inf),  # -1 * 1e400
        (-1e-100, -3, -math.inf),  # -3 * 1e400
        (0.0, 1e-20, math.inf),  # a vertical slope, though n - 1 rounds to -1.0
    ],
)
def test_a_power_slope_past_the_largest_float_is_an_infinity_of_the_right_sign(
    a: float, n: float, slope: float
) -> None:
    """n * a**(n-1) as IEEE floats (and PyTorch) give it: an infinity with
    the sign of the true, too large, number."""
    power = Value(a) ** n
    assert math.isfinite(power.data)
    assert power.local_grads == (slope,)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Value(-2.0) ** Value(0.5), ValueError,
         "(-2.0) ** Value(0.5) is undefined for gradients: with a Value exponent "
         "the base must be positive (d(a**b)/db = a**b * log(a))"),
        (lambda: Value(-8.0) ** 0.5, ValueError,
         "(-8.0) ** 0.5 is not a real number: a negative base needs a whole-number exponent"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError,
         "0.0 ** -1 divides by zero: 0 cannot be raised to a negative power"),
    ],
)
def test_power_errors_are_whole(make: Any, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


def test_zero_to_the_power_zero_is_one_and_flat() -> None:
    """Only a negative power of 0 divides by zero; 0 ** 0 is 1, as in Python."""
    x = Value(0.0)
    one = x**0
    assert (one.data, one.local_grads) == (1.0, (0.0,))
    one.backward()
    assert x.grad == 0.0


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Value(math.nan), ValueError,
         "Value(nan): stepgrad does not accept nan or infinity as inputs; they "
         "would hide a bug in every gradient downstream"),
        (lambda: Value(-math.inf), ValueError,
         "Value(-inf): stepgrad does not accept nan or infinity as inputs; they "
         "would hide a bug in every gradient downstream"),
        (lambda: Value("2.0"), TypeError, "Value() needs an int or a float, not str '2.0'"),
        (lambda: Value(True), TypeError, "Value() needs an int or a float, not bool True"),
        (lambda: Value(1.0, label=3), TypeError, "label must be a str, not int 3"),
    ],
)
def test_construction_errors_are_whole(make: Any, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


@pytest.mark.parametrize("label", [(), [], set(), ("a",)])
def test_a_tuple_list_or_set_as_the_label_is_micrograds_constructor(label: object) -> None:
    """Value(data, (a, b)) is micrograd's way to give children: even empty."""
    with pytest.raises(TypeError, match=r"^Value\(1\.0, \.\.\.\): a Value you make is an input"):
        Value(1.0, label)


def test_a_new_value_is_a_clean_leaf() -> None:
    with scope("layers.0"):
        v = Value(3, label="x")
    assert (v.data, v.grad, v.label, v.op, v.scope) == (3.0, 0.0, "x", "", ("layers.0",))
    assert v.is_leaf and v.children == () and v.local_grads == ()
    assert type(v.data) is float and type(v.grad) is float

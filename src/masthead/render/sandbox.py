"""The templates' sandbox: what a theme's template may see, call and cost.

An issue's own ``templates/`` folder is input from a stranger, like its articles. Jinja's
sandbox alone refuses attributes that start with ``_``, but lets any public method run: a
``pathlib.Path`` that reached a template could read and write any file (the red team's
``meta.root.joinpath('/etc/passwd').read_text()``). So three layers, each enough on its own
for what it covers:

1. **Plain values only.** :func:`plain` turns the model's records into :class:`Record`
   mappings of strings, numbers, dates, Markup, tuples and other records, once per render
   stage. No ``Path``, no position, no bytes, no object with methods of its own ever reaches a
   template; a file the issue names is shown as its path inside the issue folder.
2. **A policy on top** (:class:`Sandbox`): an attribute is read only from a plain value and
   only when what it gives is plain (or a method of a plain value, such as ``str.upper``); a
   call is made only to the helpers masthead passes, Jinja's own (macros, ``super()``,
   ``loop``, ``cycler``, ``joiner``, ``namespace``, gettext) and methods of plain values. A
   field added to the model later cannot reopen the hole: a value of a new type is refused.
3. **Bounded cost.** Every loop iteration, call, attribute and item read costs one unit of a
   budget per document (:data:`BUDGET`), ``range()`` costs its length, and anything that
   would make a string or list larger than :data:`MAX_SIZE` is refused before it is made
   (``*``, ``%``, ``str.format``, padding methods and filters, ``join``, ``replace``). The
   document itself may not grow past :data:`MAX_OUTPUT`. The units are counted, not timed:
   the same template fails the same way on every machine, and a build stays reproducible.

Each refusal raises :class:`TemplateLimit` (a :class:`jinja2.sandbox.SecurityError`) in the
template's frame, so ``theme.template_error`` reports it at the template's line.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import time
import types
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.runtime import BlockReference, Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

BUDGET = 2_000_000  # operations a document's templates may take (the built-in theme: ~5 per line written)
MAX_SIZE = 32 * 1024 * 1024  # characters (or items) in one value a template makes
MAX_OUTPUT = 64 * 1024 * 1024  # characters in one rendered document
MAX_SECONDS = 60  # a backstop for what counting cannot see (one step over a long value); never reached by a theme that works
MAX_DEPTH = 100  # how deeply a value a template keeps (in a namespace) may nest
MAX_WIDTH = 10_000  # a padding or format width a template may ask for
MAX_BITS = 10_000  # the size of a number a template may make (a power or a product)
VERSION = "plain-counted-1"  # part of the compiled templates' cache key: the code generator differs


class TemplateLimit(SecurityError):
    """A template went past what a theme may do; the message says what, for the user."""


class Record(Mapping):
    """A read-only record of plain values: ``article.title`` and ``article['title']`` alike.

    The only methods are a mapping's (``keys``, ``items``, ``values``, ``get``); the fields
    are not attributes of the class, so nothing but them can be reached."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]):
        for name, value in fields.items():
            if not is_plain(value):  # masthead's mistake: a field that plain() did not convert
                raise TypeError(f"a template's record cannot hold {name!r} ({type(value).__name__})")
        object.__setattr__(self, "_fields", fields)

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __getattr__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a template's values are read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Record({', '.join(self._fields)})"

    def __reduce__(self):  # rendered in forked workers: never pickled, but keep it possible
        return (Record, (self._fields,))


# ---------------------------------------------------------------------------- 1. plain values

SCALARS = (str, int, float, bool, type(None), dt.date, dt.time)  # Markup is a str; datetime a date
# Computed fields a template uses, by record type (the rest of a record's properties stay out)
PROPERTIES = {"Article": ("doc_name",), "Advert": ("doc_name", "mail"), "Issue": ("articles",)}


def plain(value: Any, root: Path | None = None, _memo: dict | None = None) -> Any:
    """``value`` as plain data for a template, or :data:`OMITTED` for what has no plain form.

    NamedTuples become :class:`Record` (their fields, and the computed fields in
    :data:`PROPERTIES`); tuples and lists become tuples; a ``Path`` inside ``root`` becomes its
    path relative to it ("articles/a.md"), any other path, a position, bytes, a function or an
    object of another type is left out. A record met twice is converted once."""
    memo = {} if _memo is None else _memo
    if isinstance(value, SCALARS):
        return value
    key = id(value)
    if key in memo:
        return memo[key][1]
    if isinstance(value, Path):
        out = _relative(value, root)
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        if type(value).__name__ == "Position":
            out = OMITTED
        else:
            fields = {name: plain(getattr(value, name), root, memo)
                      for name in (*value._fields, *PROPERTIES.get(type(value).__name__, ()))}
            out = Record({k: v for k, v in fields.items() if v is not OMITTED})
    elif isinstance(value, (tuple, list)):
        out = tuple(v for v in (plain(item, root, memo) for item in value) if v is not OMITTED)
    elif isinstance(value, (dict, Mapping)):
        out = Record({str(k): v for k, v in ((k, plain(v, root, memo)) for k, v in value.items()) if v is not OMITTED})
    else:
        out = OMITTED
    memo[key] = (value, out)  # the value is kept alive with its id
    return out


OMITTED = object()


def _relative(path: Path, root: Path | None) -> Any:
    if root is None:
        return OMITTED
    try:
        relative = path.relative_to(root)
    except ValueError:
        return OMITTED
    return relative.as_posix() if relative.parts else OMITTED


# ---------------------------------------------------------------------------- 2. the policy

class _Namespace(Namespace):
    """Jinja's ``namespace()``, the one place a template keeps a value from one loop step to the
    next: what goes in is weighed, so nothing doubles its way past the limits."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_length(weight(value))
        if _depth(value) > MAX_DEPTH:
            raise TemplateLimit(f"a value nested more than {MAX_DEPTH} deep is more than a template may keep")
        super().__setitem__(name, value)


def _depth(value: Any) -> int:
    """How deeply lists, tuples and dicts nest in ``value``, counted up to MAX_DEPTH + 1."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            return level
        deepest = max(deepest, level)
        if isinstance(item, (list, tuple)):
            stack.extend((part, level + 1) for part in item[:1000])
        elif isinstance(item, dict):
            stack.extend((part, level + 1) for part in list(item.values())[:1000])
    return deepest


# What a template may read attributes of, and what an attribute may give
HOLDERS = (Record, str, int, float, bool, dt.date, dt.time, tuple, list, dict, LoopContext, Cycler, Joiner,
           Namespace, Undefined, jinja2.runtime.TemplateReference, Macro, BlockReference, range)
VALUES = (*SCALARS, Record, tuple, list, dict, LoopContext, Cycler, Joiner, Namespace, Undefined, Macro,
          BlockReference, range, Markup)
JINJA_CALLABLES = (Macro, BlockReference, LoopContext, Cycler, Joiner)
# Methods of plain values that make something bigger than what they are given: checked first
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


class _CountingGenerator(CodeGenerator):
    """Jinja's code generator, with every ``for`` loop's items counted against the budget: a
    loop that writes nothing and reads nothing costs nothing else to count."""

    def visit_For(self, node: nodes.For, frame) -> None:  # noqa: N802 - Jinja's NodeTransformer calls visit_<Node class>
        counted = nodes.Call(nodes.EnvironmentAttribute("counted"), [node.iter], [], None, None, lineno=node.lineno)
        node = nodes.For(node.target, counted, node.body, node.else_, node.test, node.recursive, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame) -> None:  # noqa: N802 - Jinja's NodeTransformer calls visit_<Node class>
        """``a ~ b``: joined by the environment, which weighs the parts first."""
        self.write("environment.concat_checked(")
        super().visit_Concat(node, frame)
        self.write(")")


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with masthead's policy and budget (see the module's text)."""

    code_generator_class = _CountingGenerator
    intercepted_binops = frozenset({"*", "%", "+", "**"})
    # What jinja2.ext.i18n adds to the environment (Environment.extend), unknown to Jinja's types
    install_null_translations: Callable[..., None]
    install_gettext_translations: Callable[..., None]

    def __init__(self, **options: Any):
        super().__init__(finalize=_written, **options)
        for name in ("lipsum", "cycler", "joiner"):  # lipsum makes text at will; the rest are re-added below
            self.globals.pop(name, None)
        self.globals.update(range=self.range, cycler=Cycler, joiner=Joiner, namespace=_Namespace, dict=self.dict)
        self.helpers: tuple[Callable, ...] = ()
        self.spent = 0
        # Jinja's own |attr reads the attribute before it asks whether it may: ours asks first
        self.filters["attr"] = jinja2.pass_environment(lambda env, obj, name: env.getattr(obj, name))
        self.filters = {name: self._guarded_filter(name, f) for name, f in self.filters.items()
                        if name not in REMOVED_FILTERS}
        # jinja2's TESTS is unannotated: mypy joins its values to builtins.function, which is no Callable
        self.tests = {name: self._guarded_filter(name, f)  # type: ignore[arg-type]
                      for name, f in self.tests.items()}

    # -- the budget

    def start(self, helpers: Iterable[Callable]) -> None:
        """A new document: a fresh budget, and the helpers its templates may call."""
        self.helpers = tuple(helpers)
        self.spent = 0
        self.checked_at = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self, cost: int = 1) -> None:
        self.spent += cost
        if self.spent > BUDGET:
            raise TemplateLimit(f"the templates took more than {BUDGET:,} steps for one document "
                                "(a loop or a recursion without end?)")
        if self.spent - self.checked_at > 1024:
            self.checked_at = self.spent
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"the templates ran for more than {MAX_SECONDS} s for one document")

    def concat_checked(self, joined: str) -> str:
        """The result of ``~`` (Jinja's join runs inside the parentheses this wraps)."""
        self.tick(len(joined) // 4096)
        _check_length(len(joined))
        return joined

    def counted(self, iterable: Any) -> Iterator[Any]:
        size = _length(iterable)
        if size is not None:
            self.tick(size)  # what is known to be long is refused before a first step
            for index, item in enumerate(iterable):
                if index & 1023 == 1023:
                    self.check_time()
                yield item
            return
        for item in iterable:
            self.tick()
            yield item

    def range(self, *args: int) -> range:
        numbers = range(*args)
        self.tick(_length(numbers) or 0)  # what it costs to go through, paid when it is made
        return numbers

    @staticmethod
    def dict(*args: Any, **kwargs: Any) -> dict:
        return dict(*args, **kwargs)

    # -- what may be read

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return isinstance(obj, HOLDERS) and (is_plain(value) or self._safe_method(value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.tick()
        if not isinstance(obj, HOLDERS):  # not even looked at: a property of it could run code
            return self.unsafe_undefined(obj, attribute)
        value = super().getattr(obj, attribute)
        return value if self._allowed(value) else self.unsafe_undefined(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.tick()
        if not isinstance(obj, HOLDERS):
            return self.unsafe_undefined(obj, str(argument))
        value = super().getitem(obj, argument)
        return value if self._allowed(value) else self.unsafe_undefined(obj, str(argument))

    def _allowed(self, value: Any) -> bool:
        return is_plain(value) or self._safe_method(value) or self._is_helper(value) or _is_str_format(value)

    def _safe_method(self, value: Any) -> bool:
        """A method of a plain value (``'x'.upper``, ``loop.cycle``, ``record.items``)."""
        if not isinstance(value, (types.BuiltinMethodType, types.MethodType, types.MethodWrapperType)):
            return False
        owner = getattr(value, "__self__", None)
        return isinstance(owner, HOLDERS) and not isinstance(owner, type) and not value.__name__.startswith("_")

    def _is_helper(self, value: Any) -> bool:
        return any(value is helper for helper in self.helpers) or any(value is g for g in self.globals.values())

    # -- what may be called

    def is_safe_callable(self, obj: Any) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if self._is_helper(obj) or isinstance(obj, JINJA_CALLABLES) or obj in (Cycler, Joiner, _Namespace) \
                or obj == self.counted:
            return True
        return self._safe_method(obj) or _is_str_format(obj)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.tick()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{_name(__obj)} may not be called from a template")
        args = _checked_method_call(__obj, args, kwargs)
        if isinstance(__obj, LoopContext) and args:  # loop(children): a recursive loop's next level
            args = (__self.counted(args[0]), *args[1:])
        result = __context.call(__obj, *args, **kwargs)
        __self.tick(_check_size(result) // 4096)  # making a long value costs as much as reading it
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left, right)
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _check_length(weight(left) + weight(right))
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_string(template)
            result = wrapped(*args, **kwargs)
            _check_size(result)
            return result

        _CHECKED_FORMATS.add(checked)
        return checked

    def _guarded_filter(self, name: str, function: Callable) -> Callable:
        """A built-in filter that takes only plain values, with its arguments' sizes checked
        first where it could make a large value, and its result's after."""
        sized = name in GUARDED_FILTERS

        def guarded(*args: Any, **kwargs: Any) -> Any:
            _only_plain(name, args, kwargs)
            self.tick(1 + sum(len(a) for a in args if isinstance(a, str)) // 4096)  # what it reads
            result = function(*(_checked_filter_args(name, args, kwargs) if sized else args), **kwargs)
            self.tick(_check_size(result) // 4096)
            return result

        if hasattr(function, "jinja_pass_arg"):  # pass_context, pass_environment, pass_eval_context
            # Jinja's protocol is an attribute set on the function, which mypy allows on no function
            guarded.jinja_pass_arg = function.jinja_pass_arg  # type: ignore[attr-defined]
        return guarded


def _only_plain(name: str, args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if not (is_plain(value) or isinstance(value, (Iterator, jinja2.Environment, Context, nodes.EvalContext))
                or (callable(value) and isinstance(value, (types.FunctionType, types.BuiltinFunctionType)))):
            raise SecurityError(f"the filter '{name}' cannot take a {type(value).__name__}")


CONTAINERS = (Record, tuple, list, dict)  # what a written value may hold values in
WRITABLE = (*SCALARS, *CONTAINERS, range, Undefined)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _written(value: Any) -> Any:
    """What a ``{{ … }}`` writes: plain data only, whose text is the same in every build (no
    function, loop, cycler or generator, whose text holds a memory address), and no lone
    surrogate (UTF-8 cannot hold one: it becomes U+FFFD). An object of another type is not
    even asked to show itself (``__str__``, ``__html__``)."""
    if not _writable(value, 0):
        raise SecurityError(f"a template cannot write a {type(value).__name__}")
    if isinstance(value, str) and _SURROGATE.search(value):
        return (Markup if isinstance(value, Markup) else str)(_SURROGATE.sub("\ufffd", value))
    return value


def _writable(value: Any, depth: int) -> bool:
    if isinstance(value, (SCALARS, range, Undefined)):
        return True
    if not isinstance(value, CONTAINERS) or depth > MAX_DEPTH:  # the rest of WRITABLE is above
        return False
    items = value.values() if isinstance(value, (dict, Record)) else value
    return all(_writable(item, depth + 1) for item in items)


def is_plain(value: Any) -> bool:
    return isinstance(value, VALUES)


_CHECKED_FORMATS: weakref.WeakSet[Callable] = weakref.WeakSet()  # str.format, as the sandbox wraps it


def _is_str_format(obj: Any) -> bool:
    try:
        return obj in _CHECKED_FORMATS
    except TypeError:
        return False


def _name(obj: Any) -> str:
    return f"'{getattr(obj, '__qualname__', None) or getattr(obj, '__name__', None) or type(obj).__name__}'"


def _length(iterable: Any) -> int | None:
    try:
        return len(iterable) if isinstance(iterable, (range, str, tuple, list, dict, Record)) else None
    except OverflowError:  # a range longer than a machine word
        return BUDGET + 1


# ---------------------------------------------------------------------------- 3. sizes


def weight(value: Any, cap: int = MAX_SIZE) -> int:
    """What ``value`` comes to when written out: characters of its strings and items of its
    lists, tuples and dicts, each list counted as often as it is referred to (``[[x] * 1000] *
    1000`` weighs a million), up to ``cap + 1``. Records (masthead's values) weigh 1: they
    are not a template's making."""
    memo: dict[int, int] = {}

    def of(item: Any, depth: int) -> int:
        if isinstance(item, str):
            return len(item)
        if not isinstance(item, (list, tuple, dict)) or depth > 50:
            return 1
        key = id(item)
        if key not in memo:
            total = len(item)
            for part in (item.items() if isinstance(item, dict) else item):
                total += of(part, depth + 1)
                if total > cap:
                    break
            memo[key] = min(total, cap + 1)
        return memo[key]

    return of(value, 0)


def _check_length(size: int) -> None:
    if size > MAX_SIZE:
        raise TemplateLimit(f"a value of {size:,} characters or items is more than a template may make "
                            f"({MAX_SIZE:,})")


def _check_size(result: Any) -> int:
    """Refuses a value that weighs too much; returns its weight."""
    if isinstance(result, (str, list, tuple, dict)):
        size = weight(result)
        _check_length(size)
        return size
    return 0


def _check_width(width: Any) -> None:
    if isinstance(width, int) and not isinstance(width, bool) and abs(width) > MAX_WIDTH:
        raise TemplateLimit(f"a width of {width:,} is more than a template may ask for ({MAX_WIDTH:,})")
    if isinstance(width, str) and len(width) > MAX_WIDTH:
        raise TemplateLimit(f"a string of {len(width):,} characters is more than a template may pad with")


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_BITS:
            raise TemplateLimit("that product is a larger number than a template may make")
        return
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
            _check_length(weight(sequence) * max(times, 0) if times > 1 else 0)


def _check_power(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
        if left.bit_length() * right > MAX_BITS:
            raise TemplateLimit(f"{right:,} as a power is a larger number than a template may make")
    elif isinstance(left, float) or isinstance(right, float):
        return  # floats overflow to an error of their own


_PERCENT_SPEC = re.compile(r"[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(template: str, args: Any = None) -> None:
    """Widths and precisions of a printf-style format, read as Python reads them (a mapping
    key in parentheses may hold parentheses of its own)."""
    index = template.find("%")
    while index >= 0:
        index += 1
        if template.startswith("(", index):
            depth = 0
            while index < len(template):
                depth += {"(": 1, ")": -1}.get(template[index], 0)
                index += 1
                if depth == 0:
                    break
        match = _PERCENT_SPEC.match(template, index)
        assert match is not None  # every part of the pattern is optional: it matches anywhere
        for number in match.groups():
            if number == "*":
                raise TemplateLimit("a '*' width in a % format is not allowed in a template")
            if number:
                _check_width(int(number))
        index = template.find("%", match.end() + 1)


def _check_format_string(template: str) -> None:
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return  # str.format will say what is wrong
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise TemplateLimit("a nested field in a format specification is not allowed in a template")
        for number in re.findall(r"\d+", spec or ""):
            _check_width(int(number))


def pattern(value: Any) -> Any:
    """A date pattern a template gives ``format_date``, checked (:func:`_check_pattern`)."""
    if isinstance(value, str):
        _check_pattern(value)
    return value


def isolated_names(items: Any, locale: Any = None) -> Markup:
    """A byline's names as the language lists them ("A, B and C"), each in a ``<bdi>``: a name's
    own direction, and a bidi override it holds (U+202E …), end with it; before, an override in
    a name reversed the date after the byline. (WeasyPrint isolates nothing itself: the print
    document adds the isolate characters, render/printdoc.py :func:`isolates`.) No locale: the
    names joined with ", " (the catalogue's pages)."""
    from babel.lists import format_list
    from markupsafe import escape

    names = short_list(items)
    if not names:
        return Markup("")
    marks = [f"\x00{n}\x00" for n in range(len(names))]
    listed = str(escape(", ".join(marks) if locale is None else format_list(marks, locale=locale)))
    return Markup(re.sub("\x00([0-9]+)\x00", lambda m: f"<bdi>{escape(names[int(m.group(1))])}</bdi>", listed))


def short_list(items: Any) -> list[str]:
    """What a template gives ``format_list``: at most 10,000 names, as text."""
    length = None if isinstance(items, str) else _length(items)
    if length is None or length > 10_000:
        raise TemplateLimit("format_list() takes a list of at most 10,000 names")
    return [str(i) for i in items]


class CheckedTranslations:
    """A theme's catalogue as templates reach it: each message's printf widths checked before
    Jinja fills it in (a theme's own catalogue is input too), and a plural's count bounded
    before the catalogue's plural rule runs on it."""

    def __init__(self, translations: Any):
        self._translations = translations

    def gettext(self, message: str) -> str:
        return _format_checked(self._translations.gettext(message))

    def ngettext(self, singular: str, plural: str, n: Any) -> str:
        return _format_checked(self._translations.ngettext(singular, plural, _count(n)))

    def pgettext(self, context: str, message: str) -> str:
        return _format_checked(self._translations.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, n: Any) -> str:
        return _format_checked(self._translations.npgettext(context, singular, plural, _count(n)))


def _format_checked(message: str) -> str:
    _check_percent_format(message)
    return message


def _count(n: Any) -> Any:
    if isinstance(n, int) and not isinstance(n, bool) and abs(n) > 10 ** 15:
        raise TemplateLimit("a plural's count may not pass 10**15 in a template")
    return n


def _check_pattern(pattern: str) -> None:
    """A date or number pattern: short, and without a huge padding width."""
    if len(pattern) > 200:
        raise TemplateLimit(f"a pattern of {len(pattern):,} characters is more than a template may use (200)")
    for number in re.findall(r"\d+", pattern):
        _check_width(int(number))


def _materialised(items: Any) -> list:
    """An iterable as a list, refused as soon as what it holds weighs too much."""
    out, total = [], 0
    for item in items:
        total += weight(item) + 1
        _check_length(total)
        out.append(item)
    return out


def _checked_method_call(obj: Any, args: tuple, kwargs: dict) -> tuple:
    """The arguments for a method of a plain value, checked where the method could make a huge
    value from small ones (padding, ``join``, ``replace``, ``translate``, ``to_bytes``)."""
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if name in _PADDING or name == "to_bytes":
        for value in (*args, *kwargs.values()):
            _check_width(value)
    elif name == "strftime" and args and isinstance(args[0], str):
        _check_pattern(args[0])
    elif isinstance(owner, str) and name == "join" and args:
        items = _materialised(args[0])
        _check_length(sum(weight(i) for i in items) + len(owner) * len(items))
        args = (items, *args[1:])
    elif isinstance(owner, str) and name == "replace" and len(args) >= 2 and isinstance(args[1], str):
        _check_length(len(owner) * max(len(args[1]), 1) + len(args[1]))
    elif isinstance(owner, str) and name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _check_length(len(owner) * max(longest, 1))
    return args


_SIZED_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice", "urlize", "filesizeformat"})
_SLOW_FILTERS = frozenset({"urlize", "wordwrap", "indent", "center", "truncate"})  # Python loops over the text
MAX_SLOW_TEXT = 1024 * 1024  # characters such a filter may be given
GUARDED_FILTERS = _SIZED_FILTERS | {"format", "join", "replace", "sum", "list"}
REMOVED_FILTERS = frozenset({"random", "pprint"})  # random: outputs would differ; pprint: a debugging aid


def _checked_filter_args(name: str, args: tuple, kwargs: dict) -> tuple:
    values = [a for a in args if not isinstance(a, (jinja2.Environment, Context, nodes.EvalContext))]
    passed = args[:len(args) - len(values)]
    subject, rest = (values[0], values[1:]) if values else (None, [])
    if name in _SIZED_FILTERS:
        for value in (*rest, *kwargs.values()):
            _check_width(value)
        if name in _SLOW_FILTERS and isinstance(subject, str) and len(subject) > MAX_SLOW_TEXT:
            raise TemplateLimit(f"|{name} may be given {MAX_SLOW_TEXT:,} characters at most in a template")
    elif name == "format" and isinstance(subject, str):
        _check_percent_format(subject, tuple(rest))
    elif name == "replace" and isinstance(subject, str) and len(rest) >= 2:
        _check_length(len(subject) * max(len(str(rest[1])), 1))
    elif name in ("join", "sum", "list") and subject is not None and not isinstance(subject, (str, Undefined)):
        items = _materialised(subject)
        separator = rest[0] if rest else kwargs.get("d", "")
        _check_length(sum(weight(i) for i in items) + len(str(separator)) * len(items))
        return (*passed, items, *rest)
    return args


def render(env: Sandbox, template: jinja2.Template, helpers: Iterable[Callable], values: dict) -> str:
    """A template rendered within the budget and the output limit. Every value must be plain
    data or one of the ``helpers``: anything else is masthead's mistake, refused here."""
    helpers = tuple(helpers)
    for name, value in values.items():
        if not (is_plain(value) or any(value is h for h in helpers)):
            raise TypeError(f"masthead passed {name!r} ({type(value).__name__}) to a template: only plain data may go")
    env.start(helpers)
    out: list[str] = []
    size = 0
    for chunk in template.generate(**values):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise TemplateLimit(f"the document grew past {MAX_OUTPUT // (1024 * 1024)} MB of text")
        out.append(chunk)
    return "".join(out)


# ---------------------------------------------------------------------------- 4. what a stranger's theme writes

# An untrusted theme's documents hold what articles may hold, and the frame of a document
STRUCTURE = frozenset("html head body title meta link style nav main section article aside header footer "
                      "figure figcaption hgroup address img".split())
XHTML_NS, OPS_NS, XML_NS = "http://www.w3.org/1999/xhtml", "http://www.idpf.org/2007/ops", "http://www.w3.org/XML/1998/namespace"
# Attributes an untrusted theme may write: the articles' (sanitize.py), and the frame's
ATTRIBUTES = frozenset({
    "id", "class", "title", "lang", "dir", "role", "hidden", "style",
    "href", "hreflang", "rel", "type", "src", "alt", "width", "height", "charset", "name", "content",
    "colspan", "rowspan", "headers", "scope", "abbr", "span", "start", "reversed", "value", "datetime", "cite", "open",
    "aria-label", "aria-labelledby", "aria-describedby", "aria-hidden",
    f"{{{OPS_NS}}}type", f"{{{OPS_NS}}}prefix", f"{{{XML_NS}}}lang",
})
_LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")  # what a browser strips from a URL before reading its scheme


def clean_document(data: bytes, names: frozenset[str], ids: Mapping[str, frozenset[str]], name: str,
                   found: Callable[[str, str], None]) -> bytes:
    """A rendered document of a theme that is not built in, through the articles' allow-list.

    Removed, each told to ``found(what, text)`` with the text a template wrote it with (to find
    that template's line): an internal DTD and its entities, comments and processing
    instructions (HTML reads them otherwise than XML: the web edition would run what they
    hide); elements the articles may not have (script, frames, forms, plug-ins, ``base``,
    foreign elements) and ``<style>`` outside the head; attributes not on the allow-list
    (handlers, ``srcset``, ``background``, ``ping``, any name not in lower case); links but to
    http(s), mailto, tel or a document of the book (with its fragment); resources but the
    book's own files (``names``); styles that load anything. ``ids`` holds each document's
    ids, for links inside the book. The bytes are unchanged when nothing is removed."""
    from lxml import etree

    from masthead.content import sanitize
    from masthead.runtime import safexml
    from masthead.runtime.safexml import parse

    root = parse(data)
    changed = re.search(rb"<!DOCTYPE[^>\[]*\[", data, re.I) is not None  # an internal subset
    if changed:
        found("an internal DTD (entities may hide markup)", "<!DOCTYPE")
    seen_ids: set[str] = set()

    def drop(node, what: str, text: str, keep_children: bool = False) -> None:
        nonlocal changed
        changed = True
        found(what, text)
        parent = node.getparent()
        if parent is None:
            return
        if keep_children:
            _unwrap(node, parent)
        else:
            _keep_tail(node)
            parent.remove(node)

    for node in list(root.iter()):
        if node.getparent() is None and node is not root:
            continue  # inside something already removed
        if not isinstance(node.tag, str):  # comment, processing instruction, entity reference
            kind = {etree.Comment: "a comment", etree.ProcessingInstruction: "a processing instruction"}.get(
                node.tag, "an entity reference")
            drop(node, kind, {"a comment": "<!--", "a processing instruction": "<?"}.get(kind, "&"))
            continue
        namespace, local = safexml.split_tag(node.tag)
        if namespace not in (XHTML_NS, None):
            drop(node, f"<{local}> (a foreign element)", f"<{local}")
        elif local in ("meta", "link", "style") and _head_item_bad(node, local, names):
            drop(node, f"<{local}>" + (" outside the head" if local == "style" else ""), f"<{local}")
        elif local not in sanitize.ALLOWED and local not in STRUCTURE:
            drop(node, f"<{local}>", f"<{local}", keep_children=local not in sanitize.DROPPED)
        elif local == "img" and _resource_problem(node.get("src", ""), names):
            drop(node, f"<img> that {_resource_problem(node.get('src', ''), names)}", "<img")
        else:
            for attribute, value in list(node.attrib.items()):
                problem = _attribute_problem(local, attribute, value, names, ids, name)
                if problem is None and attribute == "id":
                    problem = f"a second id '{value[:40]}'" if value in seen_ids else None
                    seen_ids.add(value)
                if problem:
                    del node.attrib[attribute]
                    changed = True
                    found(problem, value if attribute.rsplit("}", 1)[-1] in ("href", "src", "style", "id") else attribute)
    if not changed:
        return data
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")


def _head_item_bad(element, local: str, names: frozenset[str]) -> bool:
    in_head = element.getparent() is not None and element.getparent().tag.rsplit("}", 1)[-1] == "head"
    if local == "meta":
        return not in_head or any(a != a.lower() or a == "http-equiv" for a in element.attrib)
    if local == "link":
        href = element.get("href", "")
        return (not in_head or element.get("rel", "").strip().lower() != "stylesheet"
                or _resource_problem(href, names) is not None)
    if local == "style":  # CSS text only: no markup (the web edition writes it raw), loading nothing
        text = element.text or ""
        return not in_head or len(element) > 0 or "<" in text or _css_reaches_out(text)
    return False


def _attribute_problem(local: str, attribute: str, value: str, names: frozenset[str],
                       ids: Mapping[str, frozenset[str]], here: str) -> str | None:
    short = attribute.rsplit("}", 1)[-1]
    if attribute not in ATTRIBUTES and not (short.startswith("data-") and short == short.lower()):
        return f"the attribute {short}= on <{local}>"
    if attribute == "style" and _css_reaches_out(value):
        return f"a style= that loads a URL on <{local}>"
    if attribute == "cite" and _has_scheme(value) and not value.strip().lower().startswith("https:"):
        return f"cite= on <{local}>"
    if attribute == "href" and local == "a":
        return _link_problem(value, names, ids, here)
    if attribute in ("href", "src") and local not in ("a", "link", "img"):
        return f"{attribute}= on <{local}>"
    return None


def _link_problem(href: str, names: frozenset[str], ids: Mapping[str, frozenset[str]], here: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    bare = _CONTROL.sub("", href).lower()
    if bare.startswith(_LINK_SCHEMES) and not _CONTROL.search(href.strip()):
        return None
    if _has_scheme(bare) or bare.startswith("//") or _CONTROL.search(href.strip()):
        return f"a link to '{href[:60]}'"
    parts = urlsplit(href.strip())
    target = unquote(parts.path) or here
    if target not in names:
        return f"a link to '{href[:60]}', which is not a document of the book"
    if parts.fragment and unquote(parts.fragment) not in ids.get(target, frozenset()):
        return f"a link to '{href[:60]}', whose fragment names nothing"
    return None


def _resource_problem(ref: str, names: frozenset[str]) -> str | None:
    from urllib.parse import unquote, urlsplit

    bare = _CONTROL.sub("", ref)
    if _has_scheme(bare) or bare.startswith("//") or _CONTROL.search(ref.strip()):
        return f"loads '{ref[:60]}' from outside the book"
    path = unquote(urlsplit(ref.strip()).path)
    if path not in names:
        return f"names '{ref[:60]}', which is not one of the book's files"
    return None


def _has_scheme(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", _CONTROL.sub("", value)))


_CSS_LOADS = re.compile(r"url|src|image|import|\\|@|element|cross-fade", re.I)


def _css_reaches_out(css: str) -> bool:
    """Could this CSS load anything? Read as a reader reads it (tinycss2: escapes decoded),
    with a function named like url, src, image (image-set, -webkit-image-set …) or
    cross-fade, a url token or an @import anywhere; CSS that cannot be read counts as loading."""
    if not _CSS_LOADS.search(css):
        return False
    import tinycss2

    def walk(tokens) -> bool:
        for token in tokens:
            kind = getattr(token, "type", "")
            if kind == "url" or (kind == "at-rule" and token.lower_at_keyword == "import"):
                return True
            if kind == "function" and re.search(r"url|src|image|element|cross-fade", token.lower_name):
                return True
            for nested in ("arguments", "content", "prelude", "value"):
                inner = getattr(token, nested, None)
                if isinstance(inner, list) and walk(inner):
                    return True
        return False

    try:
        return walk(tinycss2.parse_stylesheet(css)) or walk(tinycss2.parse_blocks_contents(css))
    except RecursionError:
        return True


def _keep_tail(element) -> None:
    """The text after a removed node stays where it was."""
    tail = element.tail
    if not tail:
        return
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent = element.getparent()
        parent.text = (parent.text or "") + tail


def _unwrap(element, parent) -> None:
    """A wrapper gives way to its children; its text and tail stay where they were."""
    index, children, previous = parent.index(element), list(element), element.getprevious()
    text, tail = element.text or "", element.tail or ""
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    elif previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)

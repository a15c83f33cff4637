"""Nested dicts from the C side's flat named counters ("pool.pbuf.peak")."""

__all__ = ["nest"]


def nest(pairs):
    """{"ip4": {"recv": 3}, "pool": {"pbuf": {"peak": 2}}} from (name, value) pairs.

    Names split on dots. If a name is both a counter and a group ("a" and
    "a.b"), the counter's value sits in the group under the key "value".
    """
    root = {}
    for name, value in pairs:
        *groups, leaf = name.split(".")
        d = root
        for g in groups:
            child = d.get(g)
            if not isinstance(child, dict):
                child = {} if child is None else {"value": child}
                d[g] = child
            d = child
        if isinstance(d.get(leaf), dict):
            d[leaf]["value"] = value
        else:
            d[leaf] = value
    return root


def flatten(tree, prefix=""):
    """The (name, value) pairs back from a nested dict, in order."""
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from flatten(value, name + ".")
        else:
            yield name, value

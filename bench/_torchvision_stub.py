"""Lets timm import when the installed torchvision cannot load.

Some machines pair a CPU-only torch with a CUDA build of torchvision, whose
extension fails to load (`operator torchvision::nms does not exist`). timm
imports torchvision only for layers and transforms the ViT graphs never use, so
the benchmark replaces it with inert placeholders when (and only when) the real
one is broken.
"""
import importlib.abc
import importlib.machinery
import sys
import types


class _PlaceholderMeta(type):
    def __getattr__(cls, name):  # e.g. InterpolationMode.NEAREST
        if name.startswith("__"):
            raise AttributeError(name)
        return name


class _Placeholder(metaclass=_PlaceholderMeta):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("torchvision is unavailable on this machine")


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (_Placeholder,), {})


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def install_if_broken():
    try:
        import torchvision  # noqa: F401
    except Exception:
        for name in [n for n in sys.modules if n == "torchvision" or n.startswith("torchvision.")]:
            del sys.modules[name]
        sys.meta_path.insert(0, _Finder())

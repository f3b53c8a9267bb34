"""Every tunable threshold of the behaviour detectors: one frozen config per detector.

The defaults are the shipped values (each detector's docstring says where they come from). A
scan takes its own through `ScanConfig(thresholds=Thresholds(chat=ChatConfig(max_templates=50)))`;
`dataclasses.replace` derives one from the defaults. Nothing reads a module-level setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clearlive.watch.detectors.botchat import ChatConfig
from clearlive.watch.detectors.brushing import BrushingConfig
from clearlive.watch.detectors.facts import FactsConfig
from clearlive.watch.detectors.fraudar import FraudarConfig
from clearlive.watch.detectors.likes import LikeConfig
from clearlive.watch.detectors.lockstep import LockstepConfig
from clearlive.watch.detectors.raids import RaidConfig
from clearlive.watch.detectors.viewers import ViewerConfig


@dataclass(frozen=True, slots=True)
class Thresholds:
    viewers: ViewerConfig = field(default_factory=ViewerConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    brushing: BrushingConfig = field(default_factory=BrushingConfig)
    facts: FactsConfig = field(default_factory=FactsConfig)
    fraudar: FraudarConfig = field(default_factory=FraudarConfig)
    likes: LikeConfig = field(default_factory=LikeConfig)
    lockstep: LockstepConfig = field(default_factory=LockstepConfig)
    raids: RaidConfig = field(default_factory=RaidConfig)

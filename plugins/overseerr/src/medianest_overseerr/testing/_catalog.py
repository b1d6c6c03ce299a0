"""The stand-in's TMDB: a few dozen made-up movies, shows and people, with plausible fields.

Every number that is not written out (popularity, votes, dates, poster paths, IMDb/TVDB ids)
is a function of the TMDB id, so the catalogue is the same on every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

GENRES = {
    28: "Action",
    12: "Adventure",
    16: "Animation",
    35: "Comedy",
    80: "Crime",
    99: "Documentary",
    18: "Drama",
    10751: "Family",
    14: "Fantasy",
    36: "History",
    27: "Horror",
    10402: "Music",
    9648: "Mystery",
    10749: "Romance",
    878: "Science Fiction",
    53: "Thriller",
    10752: "War",
    37: "Western",
    10759: "Action & Adventure",
    10762: "Kids",
    10764: "Reality",
    10765: "Sci-Fi & Fantasy",
}  # fmt: skip  (TMDB's genre ids)


def _pick(seed: int, modulo: int) -> int:
    """A stable pseudo-random number in [0, modulo) for `seed`."""
    return int(hashlib.sha256(str(seed).encode()).hexdigest()[:12], 16) % modulo


@dataclass
class Movie:
    id: int
    title: str
    year: int
    genre_ids: tuple[int, ...]
    runtime: int
    overview: str
    tagline: str = ""

    media_type = "movie"

    @property
    def release_date(self) -> str:
        return f"{self.year}-{_pick(self.id, 12) + 1:02d}-{_pick(self.id // 7, 28) + 1:02d}"

    @property
    def imdb_id(self) -> str:
        return f"tt{1_000_000 + _pick(self.id, 8_999_999):07d}"


@dataclass
class Season:
    season_number: int
    episode_count: int
    air_date: str
    id: int

    @property
    def name(self) -> str:
        return "Specials" if self.season_number == 0 else f"Season {self.season_number}"


@dataclass
class Show:
    id: int
    name: str
    year: int
    genre_ids: tuple[int, ...]
    episodes: tuple[int, ...]  # episodes per season, from season 1
    overview: str
    network: str
    ended: bool = False
    specials: int = 0  # episodes in season 0
    seasons: list[Season] = field(init=False)

    media_type = "tv"

    def __post_init__(self) -> None:
        numbered = [(0, self.specials)] if self.specials else []
        numbered += list(enumerate(self.episodes, start=1))
        self.seasons = [
            Season(n, count, f"{self.year + max(n - 1, 0)}-{_pick(self.id + n, 12) + 1:02d}-01",
                   id=self.id * 100 + n)
            for n, count in numbered
        ]  # fmt: skip

    @property
    def first_air_date(self) -> str:
        return self.seasons[0].air_date if not self.specials else self.seasons[1].air_date

    @property
    def last_air_date(self) -> str:
        return self.seasons[-1].air_date

    @property
    def tvdb_id(self) -> int:
        return 300_000 + _pick(self.id, 99_999)

    @property
    def season_numbers(self) -> list[int]:
        """What `seasons: "all"` means: every season but the specials."""
        return [s.season_number for s in self.seasons if s.season_number != 0]


@dataclass
class Person:
    id: int
    name: str
    department: str
    known_for: tuple[int, ...]  # TMDB ids of movies and shows

    media_type = "person"


Title = Movie | Show

MOVIES = [
    Movie(910101, "The Lighthouse Keeper's Daughter", 2019, (18, 9648), 112,
          "When the last keeper of a northern lighthouse vanishes, his estranged daughter returns "
          "to the island and finds the logbooks rewritten in her own hand."),
    Movie(910102, "Quiet Orbit", 2021, (878, 18), 124,
          "Alone on a research station above Neptune, an engineer starts receiving weather "
          "reports from Earth that are a week ahead.", "Nobody is listening. Almost."),
    Movie(910103, "Paper Tigers of Lisbon", 2017, (80, 53), 101,
          "A forger of rare stamps is pulled into one last job that the whole Alfama district "
          "seems to know about before he does."),
    Movie(910104, "Saltwater Summer", 2015, (10749, 35), 96,
          "Two rival ice-cream vans, one seaside town and eight weeks of a heatwave."),
    Movie(910105, "The Last Cartographer", 2022, (12, 14), 131,
          "The maps she draws come true, so the empire wants only one more: a road to the sea."),
    Movie(910106, "Night Bus to Kraków", 2018, (53,), 99,
          "Eleven passengers, one missing suitcase and a driver who will not stop before dawn."),
    Movie(910107, "Copper Canyon", 1998, (37, 18), 118,
          "A retired surveyor is hired to settle a water feud and finds he drew the line that "
          "started it."),
    Movie(910108, "Small Hours", 2020, (18,), 94,
          "A night-shift radio host takes the same caller every night at 3 a.m. until the calls "
          "stop."),
    Movie(910109, "Robo Ranger and the Moon Garden", 2016, (16, 10751), 88,
          "A park-keeping robot plants a garden on the Moon to win back the children of his "
          "town.", "Grow up. Grow out. Grow on the Moon."),
    Movie(910110, "A Year of Sundays", 2013, (35, 18), 103,
          "Fifty-two family lunches, one announcement nobody wants to make."),
    Movie(910111, "Deep Field", 2023, (878, 53), 117,
          "A telescope crew sees a galaxy blink out, then another, in a straight line toward "
          "us."),
    Movie(910112, "The Glass Orchard", 2009, (27, 9648), 92,
          "The orchard's new owners learn why the fruit there is never picked."),
    Movie(910113, "Harbour Lights", 2004, (80, 18), 108,
          "A harbour pilot and a customs officer share a secret for twenty years."),
    Movie(910114, "Ferris & Finch", 2011, (35,), 90,
          "Two feuding wedding planners book the same castle on the same day."),
    Movie(910115, "Winter Meridian", 2024, (18, 36), 141,
          "In the winter of 1911, a surveying party is stranded on the line it came to draw."),
    Movie(910116, "Iron Tide", 2019, (28, 10752), 126,
          "A salvage crew raises a warship that was never reported sunk."),
    Movie(910117, "The Clockmaker's Apprentice", 2012, (10751, 14), 97,
          "Every clock in the village stops except the one a girl is forbidden to wind."),
    Movie(910118, "Static", 2007, (27,), 85,
          "A family's baby monitor picks up a voice from the house next door, which is empty."),
    Movie(910119, "Echoes of the Delta", 2021, (99, 10402), 84,
          "Three generations of blues players and the river that carried their records."),
    Movie(910120, "Midnight at the Paramount", 1994, (10749, 18), 110,
          "A projectionist and an usherette keep an old cinema open one film at a time."),
    Movie(910121, "Parallel Lines", 2017, (878, 9648), 106,
          "Two commuters on opposite platforms live the same day with one small difference."),
    Movie(910122, "Blue Hour Heist", 2022, (28, 80), 113,
          "Twenty minutes of twilight, one museum with glass walls, no room for mistakes."),
    Movie(910123, "The Orchard Keeper", 2001, (18,), 121,
          "An old farmer refuses to sell the orchard the new motorway needs."),
    Movie(910124, "Quiet Orbit II: Return", 2024, (878, 12), 129,
          "The station is calling home, but home has stopped answering."),
]  # fmt: skip

SHOWS = [
    Show(920201, "Northern Lights Station", 2016, (18, 9648), (8, 8, 10, 10),
         "Researchers at an Arctic station cover for each other's secrets through the polar "
         "night.", "NRK North", ended=True),
    Show(920202, "The Bakers of Bell Street", 2019, (35, 10764), (6, 6, 8),
         "Six neighbouring bakeries, one street fair, and a judge who has never eaten sugar.",
         "Channel Crumb"),
    Show(920203, "Signal Lost", 2021, (10765, 18), (10, 10),
         "After a solar storm cuts a town off from the world, its radio station is the only "
         "voice left.", "Meridian+"),
    Show(920204, "Precinct Nine", 2012, (80, 18), (13, 13, 13, 13, 13, 13),
         "The smallest precinct in the city gets the cases no one else will take.",
         "Metro One", ended=True, specials=3),
    Show(920205, "Wild Coasts", 2018, (99,), (6, 6),
         "The animals that live where the land gives way to the sea.", "Terra Docs",
         ended=True),
    Show(920206, "Kid Comet", 2020, (16, 10762), (20, 20, 20),
         "A nine-year-old with a comet for a pet saves her town every Saturday morning.",
         "Kidzone"),
    Show(920207, "Orbit Academy", 2023, (10765, 16), (12,),
         "Cadets at a school on a space elevator learn that gravity has rules and so does "
         "the headmistress.", "Meridian+"),
    Show(920208, "The Lisbon Files", 2015, (80, 9648), (8, 8, 8),
         "A detective with an unreliable memory works the cold cases of Lisbon's old port.",
         "Canal Sete", ended=True),
    Show(920209, "Harvest Moon Diner", 2010, (35,), (22, 22, 22, 22, 18),
         "The night staff of a roadside diner and the regulars who never seem to leave.",
         "Metro One", ended=True),
    Show(920210, "Deep Water", 2022, (18, 10759), (8, 8),
         "A deep-sea drilling crew is cut off from the surface with a storm overhead.",
         "Meridian+"),
    Show(920211, "Cartographers", 2024, (99,), (5,),
         "The people who still map the world by hand, and the places no satellite sees.",
         "Terra Docs"),
    Show(920212, "After the Storm", 2014, (18,), (10, 10),
         "A coastal town rebuilds after a hurricane, and old debts surface with the wreckage.",
         "Channel Crumb", ended=True, specials=1),
]  # fmt: skip

PEOPLE = [
    Person(930301, "Mara Lindqvist", "Acting", (910102, 910111, 920201)),
    Person(930302, "Tomasz Wren", "Acting", (910106, 910103, 920208)),
    Person(930303, "Ada Okonkwo", "Acting", (910115, 910108, 920203)),
    Person(930304, "Jules Marchetti", "Directing", (910122, 910116, 920204)),
    Person(930305, "Priya Raman", "Directing", (910105, 910119, 920211)),
    Person(930306, "Oren Quill", "Acting", (910114, 910110, 920209)),
    Person(930307, "Lena Harbour", "Acting", (910113, 910120, 920212)),
    Person(930308, "Rosa Delgado", "Acting", (910107, 910104, 920202)),
]


def image_path(kind: str, tmdb_id: int) -> str:
    """A TMDB-style image path (`/` + 27 characters + `.jpg`), stable per object."""
    digest = hashlib.sha256(f"{kind}:{tmdb_id}".encode()).hexdigest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number = int(digest, 16)
    chars = []
    for _ in range(27):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return "/" + "".join(chars) + ".jpg"


def popularity(tmdb_id: int) -> float:
    return round(4 + _pick(tmdb_id * 31, 9_600) / 100, 3)


def vote_average(tmdb_id: int) -> float:
    return round(5.5 + _pick(tmdb_id * 17, 300) / 100, 1)


def vote_count(tmdb_id: int) -> int:
    return 40 + _pick(tmdb_id * 13, 9_000)

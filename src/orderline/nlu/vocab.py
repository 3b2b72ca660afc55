"""Menu-independent ordering vocabulary: numbers, negation, levels, references, dialog acts.

Each phrase maps to a tag kind and a value. Phrases are written as a customer says them; they are
normalised the same way as utterances before matching.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    ITEM = "item"
    OPTION = "option"
    SIZE = "size"
    QTY = "qty"
    LEVEL = "level"
    NEG = "neg"
    POS = "pos"
    CONJ = "conj"
    SIDE = "side"
    ORD = "ord"
    REF = "ref"
    REFPREP = "refprep"
    YES = "yes"
    NO = "no"
    DONE = "done"
    CANCEL = "cancel"
    HANDOFF = "handoff"
    UNDO = "undo"
    CLEAR = "clear"
    REMOVE = "remove"
    CHANGE = "change"
    INSTEAD = "instead"
    CORRECT = "correct"
    COMBO = "combo"
    REPEAT = "repeat"
    FILLER = "filler"


NUMBERS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "single": 1, "just one": 1, "only one": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "a couple": 2, "a couple of": 2, "couple of": 2,
    "a pair of": 2, "a dozen": 12, "dozen": 12, "half a dozen": 6, "a few": 3,
    "to": 2, "too": 2, "for": 4, "won": 1,
}  # fmt: skip
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBERS.update(_TENS)
NUMBERS.update(
    {f"{tens} {unit}": value + n for tens, value in _TENS.items() for n, unit in enumerate(_UNITS, 1)}
)
NUMBERS.update({"a hundred": 100, "one hundred": 100, "hundred": 100})
# "to", "too", "for", "won" are ASR homophones of numbers; they only count as numbers right
# before an item, size or option (see the tagger).
HOMOPHONE_NUMBERS = frozenset({"to", "too", "for", "won"})

ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1,
    "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "final": -1, "other": -2,
}  # fmt: skip

LEVELS: dict[str, str] = {
    "extra": "extra", "double": "extra", "triple": "extra", "more": "extra", "lots of": "extra",
    "lot of": "extra", "a lot of": "extra", "a whole lot of": "extra", "loads of": "extra",
    "plenty of": "extra", "heavy": "extra", "heavy on": "extra", "heavy on the": "extra",
    "go heavy on": "extra", "go heavy on the": "extra", "a bunch of": "extra", "a whole bunch of": "extra",
    "additional": "extra", "added": "extra", "xtra": "extra", "some extra": "extra", "a little extra": "extra",
    "light": "light", "lite": "light", "light on": "light", "light on the": "light", "go light on": "light",
    "go light on the": "light", "easy on": "light", "easy on the": "light", "go easy on": "light",
    "go easy on the": "light", "little": "light", "a little": "light", "a little bit": "light",
    "a little bit of": "light", "just a little": "light", "just a bit": "light", "just a bit of": "light",
    "a bit of": "light", "only a little": "light", "only a bit": "light", "not a lot of": "light",
    "not a lot": "light", "not much": "light", "not many": "light", "not too much": "light",
    "a drizzle of": "light", "a drizzle": "light", "just a drizzle": "light", "just a drizzle of": "light",
    "only a drizzle": "light", "only a drizzle of": "light", "no more than a drizzle": "light",
    "no more than a drizzle of": "light", "a tiny bit of": "light", "just a tiny bit of": "light",
    "a touch of": "light", "a splash of": "light", "less": "light",
    "regular": "regular", "normal": "regular", "normal amount of": "regular",
}  # fmt: skip

NEGATIONS = (
    "no", "not", "without", "hold", "hold the", "hold on", "hold on the", "skip", "skip the", "avoid",
    "minus", "except", "except for", "leave off", "leave off the", "leave out", "leave out the",
    "none", "none of", "none of the", "with no", "with none", "but no", "but not", "nothing",
    "dont want", "dont put", "do not put", "do not want", "dont add", "dont include", "exclude",
    "excluding", "without any", "no more", "cut the", "lose the", "zero", "never",
    "hate", "allergic to", "not any", "no need for", "but without", "but hold", "but skip",
    "but avoid", "and no", "or no", "dont", "do not", "free of", "sans", "do not add", "do not add any",
    "dont add any", "do no add", "do no add any", "dont want any", "do not want any", "dont put any",
    "do not put any", "dont include any", "do not include", "do not include any", "no need of",
    "dont give me", "do not give me", "dont give me any", "keep off", "keep the", "hold off on",
    "nothing with", "nothing with any", "isnt", "is not", "thats not", "that is not", "that isnt",
    "arent", "are not", "wasnt", "not with", "no need for any", "rather not have", "id rather not have",
)  # fmt: skip

POSITIVES = (
    "with", "add", "plus", "and add", "also", "and also", "as well as", "along with", "including",
    "topped with", "that has", "which has", "it has", "put", "throw on", "throw in", "i want",
    "include", "with some", "and some", "top it with", "covered in", "loaded with", "but with",
    "add on", "has", "have", "having", "on top", "on it", "on top of it",
)  # fmt: skip

CONJUNCTIONS = ("and", "or", "nor", "n", "but", "then", "plus also")

SIDES = ("on the side", "on side", "on the side please", "in a cup", "separately", "on a side")

REFS = (
    "that", "it", "this", "them", "those", "that one", "this one", "these", "the same", "that last",
    "the last one", "the one", "that last one", "all of them", "all of those", "all of these",
    "each of them", "both of them", "all the", "all those", "all these", "both", "each", "all",
    "on all of those", "on all of them", "on all", "on both of them", "on each", "on them",
    "them all", "all of em", "em all", "on either", "on either one", "on either of them", "either",
)  # fmt: skip

REF_PREPOSITIONS = (
    "on the", "on my", "on that", "to the", "to my", "to that", "for the", "for my", "from the",
    "from my", "off the", "off my", "off of the", "in the", "in my", "on both", "to both", "off",
    "off of", "off it", "off that", "off of it", "out of the", "out of my",
)  # fmt: skip

YES = (
    "yes", "yeah", "yep", "yup", "ya", "yea", "sure", "ok", "okay", "correct", "thats right",
    "that is right", "right", "absolutely", "definitely", "please do", "sounds good", "of course",
    "perfect", "alright", "all right", "yes please", "sure thing", "why not", "go ahead", "that works",
    "looks good", "thats correct", "that is correct", "affirmative", "uh huh", "mhm", "certainly",
)  # fmt: skip

NO = ("no", "nope", "nah", "no thanks", "no thank you", "not today", "negative", "no way", "im good")

DONE = (
    "thats it", "that is it", "thats all", "that is all", "thats everything", "that is everything",
    "nothing else", "im done", "i am done", "done", "all set", "im all set", "that will be it",
    "thatll be it", "thatll be all", "that will be all", "that does it", "that should be it",
    "finish", "finished", "complete", "thats about it", "nothing more", "thats the order",
    "that completes my order", "thats my order", "checkout", "check out", "ring it up",
)  # fmt: skip

CANCEL = (
    "cancel my order", "cancel the order", "cancel order", "cancel everything", "cancel it all",
    "cancel the whole order", "cancel the whole thing", "forget the order", "forget it",
    "i changed my mind", "i dont want anything", "forget about it", "cancel",
)  # fmt: skip

HANDOFF = (
    "talk to a person", "speak to a person", "talk to someone", "speak to someone", "real person",
    "human", "a human", "manager", "the manager", "an employee", "a person", "representative",
    "operator", "agent", "talk to a human", "speak to a human", "somebody real", "live person",
    "customer service", "crew member", "team member",
)  # fmt: skip

UNDO = (
    "undo",
    "undo that",
    "never mind",
    "nevermind",
    "never mind that",
    "scratch that",
    "go back",
    "undo the last",
    "take that back",
    "strike that",
)

CLEAR = ("start over", "clear the order", "clear my order", "clear everything", "start again", "reset")

REMOVE = (
    "remove", "delete", "drop", "take off", "take away", "get rid of", "cancel the", "cancel my",
    "take out", "forget the", "scratch the", "lose", "remove the", "never mind the", "nevermind the",
)  # fmt: skip

CHANGE = (
    "make", "make it", "make that", "make those", "make them", "change", "change it", "change that",
    "switch", "switch it", "switch that", "swap", "swap it", "upgrade", "upgrade it", "upgrade that",
    "turn", "turn it into", "change it to", "change that to", "switch to", "instead make",
    "replace", "replace the", "substitute", "sub", "swap out", "switch out",
)  # fmt: skip

INSTEAD = ("instead", "instead of", "rather than", "in place of", "in stead")

CORRECT = ("i said", "i meant", "actually", "i mean", "sorry", "correction", "wait", "no wait")

# Another of a line already ordered ("same again", "another one of those but large").
REPEATS = (
    "same again", "the same again", "same thing again", "the same thing again", "same again please",
    "another one of those", "another of those", "one more of those", "another one of them",
    "one more of them", "another one", "one more", "another", "the same one again",
)  # fmt: skip

COMBO = ("meal", "combo", "a meal", "a combo", "the meal", "value meal", "make it a meal")

# Words that carry no order content. They are "explained" for the coverage report.
FILLERS = frozenset(
    """
    i id ill im ive me my we wed well us our you your can could would will shall may might like want
    wanna need get give gimme got have having take ordering order to for please thanks thank the a an of
    some any just also too so then now hi hello hey good morning afternoon evening there here um uh let
    lets see how about what whats do does did is are was be am go going gonna try trying prefer love
    looking think guess maybe today tonight pizza pizzas it its that this these those them they on in at
    with and or but as up one ones kind sort type style size sized time if possible though really very
    much yes okay alright sure great awesome cool fine actually thats everything all oh hm ah yeah make
    put pick picked choose chose grab it'll itll add should wants needing needed request requesting each
    both every same pie pies top topped topping toppings pcs piece pieces
    aw aww ugh bummer darn dang oops hmm ooh guys lemme know side sides
    """.split()  # noqa: SIM905
)


_FILLER_PHRASES = (
    "make sure", "make sure its", "make sure it is", "make sure that", "i would like", "can i get",
    "can i have", "could i get", "could i have", "let me get", "let me have", "ill have", "ill take",
    "ill go with", "ill try", "i want to order", "i would like to order", "can you", "could you",
    "i dont know", "how about", "go with", "i think", "on top", "make me", "can you make me",
    "could you make me", "make us", "do me a favor", "for toppings", "for the toppings",
    "as for toppings", "as far as toppings", "topping wise", "an order of", "order of", "orders of",
    "do you have", "do you guys have", "you guys have", "do you sell", "do you guys sell", "do you carry",
    "have you got", "you got any", "got any",
    # units of a counted option: "two pumps of vanilla", "three packets of sugar", "two shots of"
    "pump of", "pumps of", "pump", "pumps", "packet of", "packets of", "packets", "shots of", "shot of",
    "squirts of", "squirt of", "cups of",
)  # fmt: skip

# "a two topping pizza": a count of toppings, not of pizzas
FILLER_PHRASES: tuple[str, ...] = (
    *_FILLER_PHRASES,
    *(
        f"{n} {w}"
        for n in ("one", "two", "three", "four", "five", "1", "2", "3", "4", "5")
        for w in ("topping", "toppings", "item", "items", "ingredient", "ingredients")
    ),
)

# References that mean every line just mentioned ("hold the onions on both", "make them all medium").
PLURAL_REFS = frozenset(
    {
        "them", "those", "these", "both", "each", "all", "all of them", "all of those", "all of these",
        "each of them", "both of them", "all the", "all those", "all these", "on all of those",
        "on all of them", "on all", "on both of them", "on each", "on them", "them all", "all of em",
        "em all", "on either", "on either one", "on either of them", "either", "on both", "to both",
    }
)  # fmt: skip

#!/usr/bin/env python3
"""Generate the "Maison Vercors" demo-brand dataset for b2a.

Writes, next to this script:
  catalog.ttl          public catalogue (schema.org + SKOS, Turtle)
  stock.csv            sku,stock
  private/costs.csv    sku,cost_minor,floor_minor,currency   (brand-private)

Standard library only.  Output is fully deterministic: the only pseudo-random
choices (a few out-of-stock SKUs, stock levels, cost ratios) come from
random.Random instances with fixed integer seeds, consumed in table order.
A self-check runs at the end and aborts (non-zero exit) if any invariant
described in README.md is violated.

Usage:  python3 generate.py
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

BASE = "https://vercors.example/"
BRAND_IRI = BASE + "brand"
SCHEME_IRI = BASE + "taxonomy"
SHIPPING_IRI = BASE + "shipping/standard-eu"
EXPRESS_IRI = BASE + "shipping/express-eu"
RETURNS_IRI = BASE + "returns/standard"

# The gateway expects exactly one schema:shippingDetails per offer (standard-eu).
# Flip this to also define an express option and attach it to every offer.
INCLUDE_EXPRESS_SHIPPING = False

COUNTRIES = [
    ("FR", "France", "France"),
    ("BE", "Belgique", "Belgium"),
    ("DE", "Allemagne", "Germany"),
    ("ES", "Espagne", "Spain"),
    ("IT", "Italie", "Italy"),
    ("NL", "Pays-Bas", "Netherlands"),
    ("LU", "Luxembourg", "Luxembourg"),
    ("CH", "Suisse", "Switzerland"),
]

# Fictitious GS1 company prefix in the French range (300-379).
# GTIN-13 = 7-digit company prefix + 5-digit item reference + check digit.
GS1_COMPANY_PREFIX = "3799120"
GTIN_FIRST_ITEM_REF = 101

CURRENCY = "EUR"

# --------------------------------------------------------------------------
# Taxonomy (2 levels under the root "catalog")
# slug: (parent slug or None, label fr, label en)
# --------------------------------------------------------------------------
TAXONOMY = [
    ("catalog", None, "Catalogue", "Catalog"),
    ("clothing", "catalog", "Vêtements", "Clothing"),
    ("coats-jackets", "clothing", "Vestes & manteaux", "Coats & jackets"),
    ("fleeces-midlayers", "clothing", "Polaires & mid-layers", "Fleeces & mid-layers"),
    ("base-layers", "clothing", "Sous-vêtements techniques", "Base layers"),
    ("trousers", "clothing", "Pantalons & shorts", "Trousers & shorts"),
    ("footwear", "catalog", "Chaussures", "Footwear"),
    ("hiking-boots", "footwear", "Chaussures de randonnée", "Hiking boots & shoes"),
    ("winter-boots", "footwear", "Bottes d'hiver", "Winter boots"),
    ("city-work-shoes", "footwear", "Chaussures de ville & travail", "City & work shoes"),
    ("equipment", "catalog", "Équipement", "Equipment"),
    ("backpacks", "equipment", "Sacs à dos", "Backpacks"),
    ("tents-bivouac", "equipment", "Tentes & bivouac", "Tents & bivouac"),
    ("accessories", "catalog", "Accessoires", "Accessories"),
    ("hats-gloves", "accessories", "Bonnets & gants", "Hats & gloves"),
    ("socks-gaiters", "accessories", "Chaussettes & guêtres", "Socks & gaiters"),
    ("care-repair", "accessories", "Entretien & réparation", "Care & repair"),
]

# colour code -> (fr, en)
COLOURS = {
    "BLK": ("Noir", "Black"),
    "NVY": ("Bleu marine", "Navy"),
    "GRN": ("Vert forêt", "Forest green"),
    "OLV": ("Kaki", "Olive"),
    "RED": ("Rouge", "Red"),
    "BLU": ("Bleu glacier", "Glacier blue"),
    "GRY": ("Gris anthracite", "Charcoal grey"),
    "LGR": ("Gris chiné", "Heather grey"),
    "BRN": ("Marron", "Brown"),
    "CML": ("Camel", "Camel"),
    "SND": ("Sable", "Sand"),
    "ORG": ("Orange", "Orange"),
    "BRG": ("Bordeaux", "Burgundy"),
    "ECR": ("Écru", "Ecru"),
    "YLW": ("Jaune moutarde", "Mustard yellow"),
}

# Size sets.  An entry is either "TOKEN" (token == label) or ("TOKEN", "label").
# The token goes into the SKU, the label into schema:size and the names.
SZ = ["S", "M", "L", "XL"]
SZ_XXL = ["S", "M", "L", "XL", "XXL"]
SZ_W = ["XS", "S", "M", "L"]
SZ_GLOVE3 = ["S", "M", "L"]
SHOE_M = ["41", "42", "43", "44", "45"]
SHOE_M6 = ["40", "41", "42", "43", "44", "45"]
SHOE_W = ["38", "39", "40", "41", "42"]
SHOE_U = ["40", "41", "42", "43", "44"]
SHOE_SAFETY = ["39", "40", "41", "42", "43", "44", "45", "46"]
SOCKS = ["35-38", "39-42", "43-46"]
GAITERS = ["S-M", "L-XL"]


def eur(s: str) -> int:
    """'189.00' -> 18900 (minor units)."""
    m = re.fullmatch(r"(\d+)\.(\d{2})", s)
    if not m:
        raise ValueError(f"price must have exactly 2 decimals: {s!r}")
    return int(m.group(1)) * 100 + int(m.group(2))


def fmt_eur(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


MODELS: list[dict] = []


def M(gid, cat, price, colours, sizes, name, desc, kw, mat, *,
      surcharge=None, availability=None, sku_availability=None,
      accessory_for=None):
    """Declare one product model (a ProductGroup, or a standalone Product when
    it has no sizes and at most one colour)."""
    MODELS.append(dict(
        gid=gid, cat=cat, price=eur(price), colours=list(colours or []),
        sizes=[s if isinstance(s, tuple) else (s, s) for s in (sizes or [])],
        name=name, desc=desc, kw=kw, mat=mat,
        surcharge={k: eur(v) for k, v in (surcharge or {}).items()},
        availability=availability,            # forced for every SKU of the model
        sku_availability=dict(sku_availability or {}),  # {"BLU": "PreOrder"} or {"BLU-M": ...}
        accessory_for=list(accessory_for or []),
    ))


# ==========================================================================
# PRODUCT TABLE
# ==========================================================================

# ---------------------------- Vestes & manteaux ---------------------------
M("ALPJKT", "coats-jackets", "249.00", ["BLK", "RED", "BLU"], SZ,
  ("Veste imperméable Alpine", "Alpine Waterproof Jacket"),
  ("Veste hardshell 3 couches pour l'alpinisme et la randonnée engagée. Membrane imperméable et respirante "
   "(20 000 mm / 20 000 g/m²/24 h), coutures étanchées, capuche compatible casque et zips d'aération sous les bras.",
   "3-layer hardshell jacket for mountaineering and demanding hikes. Waterproof, breathable membrane "
   "(20,000 mm / 20,000 g/m²/24 h), fully taped seams, helmet-compatible hood and underarm vents."),
  ("imperméable, veste, hardshell, veste de pluie, montagne, alpinisme, respirante, coupe-vent",
   "waterproof, jacket, hardshell, rain jacket, mountain, mountaineering, breathable, windproof"),
  ("Polyamide recyclé 100 %, membrane 3 couches sans PFC", "100% recycled polyamide, PFC-free 3-layer membrane"),
  sku_availability={"BLU": "PreOrder"})

M("CHMCOAT", "coats-jackets", "179.00", ["BLK", "NVY", "GRN"], SZ,
  ("Manteau d'hiver imperméable Chamrousse", "Chamrousse Waterproof Winter Coat"),
  ("Manteau d'hiver imperméable mi-long, doublé d'une ouate synthétique chaude (150 g/m²) qui isole même humide. "
   "Capuche amovible, poches chauffe-mains doublées de polaire et coupe allongée qui protège du vent et de la neige, "
   "en ville comme en station.",
   "Mid-length waterproof winter coat lined with warm synthetic insulation (150 g/m²) that keeps you warm even when damp. "
   "Detachable hood, fleece-lined hand-warmer pockets and a longer cut that keeps wind and snow out, "
   "in town or at the ski resort."),
  ("imperméable, manteau d'hiver, manteau, parka, chaud, isolé, capuche, neige, hiver",
   "waterproof, winter coat, coat, parka, warm, insulated, hood, snow, winter"),
  ("Polyester recyclé 100 %, membrane imperméable 2 couches, ouate synthétique 150 g/m²",
   "100% recycled polyester, 2-layer waterproof membrane, 150 g/m² synthetic insulation"))

M("VASCOAT", "coats-jackets", "199.00", ["BLK", "OLV"], SZ_XXL,
  ("Manteau d'hiver imperméable 3-en-1 Vassieux", "Vassieux 3-in-1 Waterproof Winter Coat"),
  ("Manteau d'hiver imperméable 3-en-1 : une coque imperméable 2,5 couches et une veste polaire intérieure "
   "détachable, à porter ensemble ou séparément. Idéal pour les hivers changeants, de la pluie froide à la neige.",
   "3-in-1 waterproof winter coat: a 2.5-layer waterproof shell and a detachable inner fleece jacket, "
   "worn together or separately. Ideal for changeable winters, from cold rain to snowfall."),
  ("imperméable, manteau d'hiver, manteau, 3-en-1, polaire, hiver, pluie, neige",
   "waterproof, winter coat, coat, 3-in-1, fleece, winter, rain, snow"),
  ("Coque : polyamide 100 %, membrane 2,5 couches ; veste intérieure : polaire polyester recyclé",
   "Shell: 100% polyamide, 2.5-layer membrane; inner jacket: recycled polyester fleece"),
  surcharge={"XXL": "10.00"})

M("LNSCOAT", "coats-jackets", "189.00", ["NVY", "CML"], SZ,
  ("Manteau de ville imperméable Lans", "Lans Waterproof City Winter Coat"),
  ("Manteau d'hiver imperméable à l'allure urbaine : drap de laine déperlant contrecollé sur une membrane imperméable, "
   "col montant et doublure matelassée. Un manteau élégant pour le bureau qui affronte la pluie et le froid.",
   "A waterproof winter coat with a city look: water-repellent wool cloth bonded to a waterproof membrane, "
   "stand-up collar and quilted lining. A smart office coat that stands up to rain and cold."),
  ("imperméable, manteau d'hiver, manteau, laine, ville, bureau, élégant, chaud",
   "waterproof, winter coat, coat, wool, city, office, smart, warm"),
  ("Laine 60 %, polyamide 40 %, membrane imperméable, doublure polyester recyclé",
   "60% wool, 40% polyamide, waterproof membrane, recycled polyester lining"))

M("VLLPRK", "coats-jackets", "229.00", ["BLK", "BRG"], SZ_W,
  ("Parka d'hiver imperméable femme Villard", "Villard Women's Waterproof Winter Parka"),
  ("Parka longue pour femme : un manteau d'hiver imperméable garni de duvet 90/10 certifié RDS, "
   "taille ajustable et capuche doublée de polaire. Chaleur maximale pour les hivers en montagne.",
   "Long women's parka: a waterproof winter coat filled with RDS-certified 90/10 down, "
   "adjustable waist and fleece-lined hood. Maximum warmth for mountain winters."),
  ("imperméable, manteau d'hiver, parka, femme, duvet, long, chaud, capuche",
   "waterproof, winter coat, parka, women, down, long, warm, hood"),
  ("Polyamide 100 %, membrane imperméable, garnissage duvet de canard 90/10 (RDS)",
   "100% polyamide, waterproof membrane, 90/10 duck down fill (RDS)"))

M("EXPPRK", "coats-jackets", "389.00", ["BLK", "ORG"], SZ,
  ("Parka grand froid Expédition", "Expedition Extreme Cold Down Parka"),
  ("Notre manteau d'hiver imperméable le plus chaud : duvet d'oie 800 cuin, coque 3 couches, "
   "capuche tunnel et cordons réglables. Conçue pour les températures jusqu'à -30 °C. Nouvelle collection, en précommande.",
   "Our warmest waterproof winter coat: 800-fill goose down, 3-layer shell, tunnel hood and adjustable drawcords. "
   "Built for temperatures down to -30 °C. New collection, available for pre-order."),
  ("imperméable, manteau d'hiver, parka, duvet, grand froid, expédition, capuche, hiver",
   "waterproof, winter coat, parka, down, extreme cold, expedition, hood, winter"),
  ("Polyamide 3 couches, garnissage duvet d'oie 800 cuin (RDS)", "3-layer polyamide shell, 800-fill goose down (RDS)"),
  availability="PreOrder")

M("MOUDWN", "coats-jackets", "159.00", ["BLK", "NVY"], SZ,
  ("Doudoune légère Moucherotte", "Moucherotte Light Down Jacket"),
  ("Doudoune légère et compressible garnie de duvet 90/10, tissu déperlant sans PFC. "
   "Se range dans sa poche ; parfaite en couche chaude sous une hardshell ou seule par temps sec.",
   "Light, packable down jacket filled with 90/10 down and a PFC-free water-repellent fabric. "
   "Packs into its own pocket; a perfect warm layer under a hardshell or on its own in dry weather."),
  ("doudoune, duvet, légère, compressible, chaud, hiver, mi-saison",
   "down jacket, puffer, down, lightweight, packable, warm, winter"),
  ("Polyamide recyclé 100 %, garnissage duvet 90/10 (RDS)", "100% recycled polyamide, 90/10 down fill (RDS)"))

M("AUTVST", "coats-jackets", "109.00", ["NVY"], SZ,
  ("Gilet doudoune Autrans", "Autrans Down Vest"),
  ("Gilet sans manches garni de duvet, pour garder le buste au chaud sans gêner les mouvements. "
   "Col montant, deux poches zippées, se glisse sous une veste ou par-dessus une polaire.",
   "Sleeveless down vest that keeps your core warm without restricting movement. "
   "High collar, two zipped pockets; wear it under a jacket or over a fleece."),
  ("gilet, doudoune, sans manches, duvet, chaud, randonnée",
   "vest, gilet, down, sleeveless, warm, hiking"),
  ("Polyamide recyclé, garnissage duvet 80/20 (RDS)", "Recycled polyamide, 80/20 down fill (RDS)"))

M("GERSFT", "coats-jackets", "129.00", ["GRY"], SZ,
  ("Veste softshell Gerbier", "Gerbier Softshell Jacket"),
  ("Veste softshell extensible, coupe-vent et déperlante, à l'intérieur brossé. "
   "Idéale pour la randonnée active, le ski de randonnée et les matinées fraîches.",
   "Stretchy, windproof and water-repellent softshell jacket with a brushed inner face. "
   "Ideal for active hiking, ski touring and chilly mornings."),
  ("softshell, veste, coupe-vent, déperlante, extensible, randonnée",
   "softshell, jacket, windproof, water-repellent, stretch, hiking"),
  ("Polyester 92 %, élasthanne 8 %, traitement déperlant sans PFC", "92% polyester, 8% elastane, PFC-free DWR"))

M("BOURAIN", "coats-jackets", "99.00", ["RED", "NVY"], SZ,
  ("Veste de pluie compressible Bournillon", "Bournillon Packable Rain Jacket"),
  ("Veste de pluie imperméable 2,5 couches, ultralégère (240 g) et compressible dans sa poche poitrine. "
   "À garder au fond du sac pour les averses en randonnée comme en ville.",
   "Ultralight (240 g) 2.5-layer waterproof rain jacket that packs into its chest pocket. "
   "Keep it in your pack for sudden showers on the trail or in town."),
  ("imperméable, veste de pluie, pluie, légère, compressible, randonnée",
   "waterproof, rain jacket, rain, lightweight, packable, hiking"),
  ("Polyamide ripstop recyclé, membrane 2,5 couches", "Recycled ripstop polyamide, 2.5-layer membrane"))

M("CORSKI", "coats-jackets", "279.00", ["BLK", "BLU"], SZ,
  ("Veste de ski Corrençon", "Corrençon Ski Jacket"),
  ("Veste de ski isolée et imperméable (20 000 mm), jupe pare-neige, poche forfait et capuche compatible casque. "
   "Pensée pour les journées de ski alpin et de ski nordique sur le plateau.",
   "Insulated waterproof ski jacket (20,000 mm) with powder skirt, ski-pass pocket and helmet-compatible hood. "
   "Designed for alpine and cross-country ski days on the plateau."),
  ("veste de ski, ski, imperméable, isolée, hiver, neige, jupe pare-neige",
   "ski jacket, ski, waterproof, insulated, winter, snow, powder skirt"),
  ("Polyester recyclé, membrane 2 couches, ouate synthétique 120 g/m²",
   "Recycled polyester, 2-layer membrane, 120 g/m² synthetic insulation"))

M("GRETRN", "coats-jackets", "169.00", ["SND", "NVY"], SZ_W,
  ("Trench imperméable femme Grenoble", "Grenoble Women's Waterproof Trench Coat"),
  ("Trench pour femme au tissu imperméable et respirant, coutures étanchées et ceinture amovible. "
   "La silhouette classique du trench, adaptée aux jours de pluie en ville.",
   "Women's trench coat in a waterproof, breathable fabric with taped seams and a removable belt. "
   "The classic trench silhouette, made for rainy city days."),
  ("imperméable, trench, manteau de pluie, femme, ville, élégant",
   "waterproof, trench coat, raincoat, women, city, smart"),
  ("Coton 55 %, polyester recyclé 45 %, membrane imperméable", "55% cotton, 45% recycled polyester, waterproof membrane"))

# ------------------------------ Polaires & mid-layers ---------------------
M("CORFLC", "fleeces-midlayers", "69.00", ["GRY", "NVY"], SZ,
  ("Polaire zippée Cornafion", "Cornafion Full-Zip Fleece"),
  ("Veste polaire 300 g/m² en polyester recyclé, chaude et respirante, avec deux poches zippées et col montant. "
   "Le classique des randonnées d'automne.",
   "300 g/m² recycled-polyester fleece jacket, warm and breathable, with two zipped pockets and a high collar. "
   "The autumn hiking classic."),
  ("polaire, veste polaire, chaud, zippée, randonnée, automne",
   "fleece, fleece jacket, warm, full-zip, hiking, autumn"),
  ("Polaire polyester recyclé 100 %, 300 g/m²", "100% recycled polyester fleece, 300 g/m²"))

M("PASGRD", "fleeces-midlayers", "79.00", ["BLU"], SZ,
  ("Polaire technique grid Pas de l'Aiguille", "Pas de l'Aiguille Grid Fleece"),
  ("Polaire technique à structure en grille qui évacue la transpiration pendant l'effort. "
   "Capuche ajustée et passe-pouces : la couche intermédiaire idéale du ski de randonnée et de l'alpinisme.",
   "Technical grid fleece that wicks sweat away during exertion. Fitted hood and thumb loops: "
   "the ideal mid-layer for ski touring and mountaineering."),
  ("polaire, grid, mid-layer, respirante, capuche, ski de randonnée",
   "fleece, grid fleece, mid-layer, breathable, hooded, ski touring"),
  ("Polyester 88 %, élasthanne 12 %", "88% polyester, 12% elastane"))

M("MEASHP", "fleeces-midlayers", "99.00", ["ECR"], SZ,
  ("Veste sherpa Méaudre", "Méaudre Sherpa Fleece Jacket"),
  ("Veste en polaire sherpa bouclée, douce et très chaude, avec empiècements en toile déperlante. "
   "Pour les soirées au refuge et les week-ends en ville.",
   "Soft, very warm curly sherpa fleece jacket with water-repellent canvas panels. "
   "For evenings at the mountain hut and city weekends."),
  ("sherpa, polaire, veste, chaud, doux, ville, refuge",
   "sherpa, fleece, jacket, warm, soft, city, mountain hut"),
  ("Polaire sherpa polyester recyclé, empiècements polyamide", "Recycled polyester sherpa fleece, polyamide panels"))

M("GLANDS", "fleeces-midlayers", "139.00", ["GRN", "BLK"], SZ,
  ("Veste isolée synthétique Glandasse", "Glandasse Synthetic Insulated Jacket"),
  ("Veste à isolation synthétique respirante qui reste chaude même mouillée. "
   "Légère et compressible, en couche intermédiaire sous une hardshell ou seule lors des pauses.",
   "Jacket with breathable synthetic insulation that stays warm even when wet. "
   "Light and packable, as a mid-layer under a hardshell or on its own during breaks."),
  ("veste isolée, synthétique, mid-layer, chaud, compressible, randonnée",
   "insulated jacket, synthetic, mid-layer, warm, packable, hiking"),
  ("Polyamide recyclé, isolation synthétique 100 g/m²", "Recycled polyamide, 100 g/m² synthetic insulation"))

M("ROYPUL", "fleeces-midlayers", "119.00", ["ECR"], SZ,
  ("Pull en laine Royans", "Royans Wool Sweater"),
  ("Pull col rond en grosse maille de laine française du Vercors, tricoté en Isère. "
   "Naturellement chaud, il régule la température et résiste aux odeurs.",
   "Chunky crew-neck sweater in French wool from the Vercors, knitted in Isère. "
   "Naturally warm, temperature-regulating and odour-resistant."),
  ("pull, laine, tricot, chaud, made in France, col rond",
   "sweater, jumper, wool, knit, warm, made in France, crew neck"),
  ("Laine vierge 100 % (France)", "100% virgin wool (France)"))

M("CHOFLC", "fleeces-midlayers", "65.00", ["BRG", "LGR"], SZ_W,
  ("Polaire femme Choranche", "Choranche Women's Fleece"),
  ("Polaire demi-zip pour femme, coupe ajustée et maille douce 200 g/m². "
   "Légère, chaude et rapide à sécher pour la randonnée et le quotidien.",
   "Women's half-zip fleece with a fitted cut and soft 200 g/m² knit. "
   "Light, warm and quick-drying for hiking and every day."),
  ("polaire, femme, demi-zip, chaud, léger, randonnée",
   "fleece, women, half-zip, warm, lightweight, hiking"),
  ("Polyester recyclé 100 %, 200 g/m²", "100% recycled polyester, 200 g/m²"))

M("MALHZ", "fleeces-midlayers", "89.00", ["GRY"], SZ,
  ("Pull demi-zip mérinos Malleval", "Malleval Merino Half-Zip"),
  ("Pull demi-zip en laine mérinos 260 g/m², chaud, respirant et anti-odeurs. "
   "Se porte en couche intermédiaire en montagne ou seul au bureau.",
   "260 g/m² merino wool half-zip sweater: warm, breathable and odour-resistant. "
   "Wear it as a mid-layer in the mountains or on its own at the office."),
  ("mérinos, laine, pull, demi-zip, anti-odeurs, chaud",
   "merino, wool, sweater, half-zip, odour-resistant, warm"),
  ("Laine mérinos 100 %, 260 g/m² (mulesing-free)", "100% merino wool, 260 g/m² (mulesing-free)"))

# ------------------------------ Sous-vêtements techniques -----------------
M("SORTEE", "base-layers", "59.00", ["BLK", "GRY"], SZ,
  ("T-shirt mérinos 150 Sornin", "Sornin Merino 150 T-Shirt"),
  ("T-shirt manches courtes en laine mérinos 150 g/m², doux sur la peau et anti-odeurs pendant plusieurs jours. "
   "Parfait pour le trek et le voyage.",
   "Short-sleeve 150 g/m² merino wool T-shirt, soft next to skin and odour-free for days. "
   "Perfect for trekking and travel."),
  ("t-shirt, mérinos, laine, première couche, anti-odeurs, trek, voyage",
   "t-shirt, merino, wool, base layer, odour-resistant, trekking, travel"),
  ("Laine mérinos 100 %, 150 g/m²", "100% merino wool, 150 g/m²"))

M("SORLS", "base-layers", "75.00", ["BLK"], SZ,
  ("Maillot manches longues mérinos 200 Sornin", "Sornin Merino 200 Long-Sleeve Top"),
  ("Première couche manches longues en mérinos 200 g/m² pour le ski et les randonnées hivernales. "
   "Chaude, respirante et sans coutures sur les épaules.",
   "200 g/m² merino long-sleeve base layer for skiing and winter hikes. "
   "Warm, breathable, with no shoulder seams."),
  ("première couche, mérinos, manches longues, thermique, ski, hiver",
   "base layer, merino, long sleeve, thermal, ski, winter"),
  ("Laine mérinos 100 %, 200 g/m²", "100% merino wool, 200 g/m²"))

M("SORTGT", "base-layers", "69.00", ["BLK"], SZ,
  ("Collant mérinos 200 Sornin", "Sornin Merino 200 Leggings"),
  ("Collant thermique en mérinos 200 g/m² à porter sous un pantalon de ski ou de randonnée. "
   "Ceinture large et confortable, coutures plates.",
   "Thermal 200 g/m² merino leggings to wear under ski or hiking trousers. "
   "Wide, comfortable waistband and flat seams."),
  ("collant, mérinos, thermique, première couche, ski, hiver",
   "leggings, long johns, merino, thermal, base layer, ski, winter"),
  ("Laine mérinos 100 %, 200 g/m²", "100% merino wool, 200 g/m²"))

M("SYNTEE", "base-layers", "35.00", ["BLU", "ORG"], SZ,
  ("T-shirt technique respirant Sornin", "Sornin Breathable Tech T-Shirt"),
  ("T-shirt technique léger en polyester recyclé qui sèche très vite, traitement anti-odeurs. "
   "Pour le trail, la randonnée rapide et le vélo.",
   "Lightweight recycled-polyester tech T-shirt that dries very fast, with anti-odour treatment. "
   "For trail running, fast hiking and cycling."),
  ("t-shirt, technique, respirant, séchage rapide, trail, randonnée",
   "t-shirt, technical, breathable, quick-dry, trail running, hiking"),
  ("Polyester recyclé 100 %", "100% recycled polyester"))

# ------------------------------ Pantalons & shorts ------------------------
M("TRIPNT", "trousers", "89.00", ["OLV", "GRY", "BLK"], SZ,
  ("Pantalon de randonnée Trièves", "Trièves Hiking Trousers"),
  ("Pantalon de randonnée extensible et déperlant, renforts aux genoux, poches zippées et bas ajustables. "
   "Confortable du printemps à l'automne.",
   "Stretch, water-repellent hiking trousers with knee reinforcements, zipped pockets and adjustable hems. "
   "Comfortable from spring to autumn."),
  ("pantalon, randonnée, extensible, déperlant, trekking, confortable",
   "trousers, pants, hiking, stretch, water-repellent, trekking, comfortable"),
  ("Polyamide 90 %, élasthanne 10 %", "90% polyamide, 10% elastane"))

M("PREZIP", "trousers", "79.00", ["SND"], SZ,
  ("Pantalon convertible Presles", "Presles Zip-Off Trousers"),
  ("Pantalon de randonnée convertible en short grâce aux jambes zippées, tissu léger anti-UV (UPF 50+). "
   "Idéal pour les treks d'été et les voyages.",
   "Hiking trousers that convert into shorts with zip-off legs, in a light UPF 50+ fabric. "
   "Ideal for summer treks and travel."),
  ("pantalon, convertible, short, randonnée, été, anti-UV, voyage",
   "trousers, zip-off, convertible, shorts, hiking, summer, UPF, travel"),
  ("Polyamide recyclé 100 %", "100% recycled polyamide"))

M("BOUOVP", "trousers", "119.00", ["BLK"], SZ,
  ("Surpantalon imperméable Bournillon", "Bournillon Waterproof Overtrousers"),
  ("Surpantalon imperméable 2,5 couches avec zips latéraux sur toute la longueur pour l'enfiler sans retirer ses chaussures. "
   "Léger et compressible.",
   "2.5-layer waterproof overtrousers with full-length side zips so you can pull them on over boots. "
   "Light and packable."),
  ("imperméable, surpantalon, pantalon de pluie, pluie, randonnée, léger",
   "waterproof, overtrousers, rain pants, rain, hiking, lightweight"),
  ("Polyamide recyclé, membrane 2,5 couches", "Recycled polyamide, 2.5-layer membrane"))

M("URLPNT", "trousers", "109.00", ["BLK"], SZ,
  ("Pantalon softshell d'hiver Font d'Urle", "Font d'Urle Winter Softshell Trousers"),
  ("Pantalon softshell d'hiver à l'intérieur gratté, coupe-vent et déperlant, avec crochet de laçage et renforts aux chevilles. "
   "Pour la raquette, le ski de fond et la randonnée hivernale.",
   "Winter softshell trousers with a brushed interior, windproof and water-repellent, with lace hook and ankle reinforcements. "
   "For snowshoeing, cross-country skiing and winter hiking."),
  ("pantalon, softshell, hiver, chaud, raquette, ski de fond, coupe-vent",
   "trousers, softshell, winter, warm, snowshoeing, cross-country ski, windproof"),
  ("Polyester 88 %, élasthanne 12 %, intérieur gratté", "88% polyester, 12% elastane, brushed interior"))

M("CORSKP", "trousers", "199.00", ["BLK"], SZ,
  ("Pantalon de ski Corrençon", "Corrençon Ski Pants"),
  ("Pantalon de ski isolé et imperméable (20 000 mm), guêtres pare-neige intégrées, bretelles amovibles et zips d'aération.",
   "Insulated waterproof ski pants (20,000 mm) with built-in snow gaiters, removable braces and thigh vents."),
  ("pantalon de ski, ski, imperméable, isolé, hiver, neige",
   "ski pants, ski trousers, ski, waterproof, insulated, winter, snow"),
  ("Polyester recyclé, membrane 2 couches, ouate synthétique 80 g/m²",
   "Recycled polyester, 2-layer membrane, 80 g/m² synthetic insulation"))

M("NIZCHN", "trousers", "95.00", ["NVY", "SND"], SZ,
  ("Chino technique Saint-Nizier", "Saint-Nizier Tech Chino"),
  ("Chino extensible et déperlant à la coupe ville, qui passe du bureau au sentier. "
   "Poche zippée anti-vol, tissu infroissable.",
   "Stretch, water-repellent chino with a city cut that goes from the office to the trail. "
   "Zipped security pocket, crease-resistant fabric."),
  ("chino, pantalon, ville, bureau, extensible, déperlant, voyage",
   "chino, trousers, city, office, stretch, water-repellent, travel"),
  ("Coton biologique 70 %, polyamide 26 %, élasthanne 4 %", "70% organic cotton, 26% polyamide, 4% elastane"))

M("ROUSHO", "trousers", "55.00", ["OLV"], SZ,
  ("Short de randonnée Rousset", "Rousset Hiking Shorts"),
  ("Short de randonnée léger et extensible, ceinture élastiquée réglable et séchage rapide.",
   "Light, stretchy hiking shorts with an adjustable elastic waistband and quick-dry fabric."),
  ("short, randonnée, été, léger, séchage rapide",
   "shorts, hiking, summer, lightweight, quick-dry"),
  ("Polyamide 88 %, élasthanne 12 %", "88% polyamide, 12% elastane"))

# ------------------------------ Chaussures de randonnée -------------------
M("GRVMID", "hiking-boots", "179.00", ["BRN", "GRY"], SHOE_M,
  ("Chaussure de randonnée mid imperméable Grand Veymont", "Grand Veymont Waterproof Mid Hiking Boot"),
  ("Chaussure de randonnée montante en cuir nubuck avec membrane imperméable et respirante, "
   "semelle Vibram® crantée et maintien de la cheville. Pour les randonnées à la journée et les treks sur terrain varié.",
   "Nubuck leather mid-cut hiking boot with a waterproof, breathable membrane, lugged Vibram® outsole and ankle support. "
   "For day hikes and treks on mixed terrain."),
  ("chaussure de randonnée, imperméable, montante, cuir, trek, Vibram",
   "hiking boots, waterproof, mid-cut, leather, trekking, Vibram"),
  ("Cuir nubuck, membrane imperméable, semelle Vibram®", "Nubuck leather, waterproof membrane, Vibram® outsole"))

M("PREPEY", "hiking-boots", "139.00", ["GRY"], SHOE_M,
  ("Chaussure de randonnée basse Pré Peyret", "Pré Peyret Low Hiking Shoe"),
  ("Chaussure de randonnée basse, légère et imperméable, avec semelle amortissante et crampons multidirectionnels. "
   "Pour la randonnée rapide et les sentiers bien tracés.",
   "Light, waterproof low hiking shoe with a cushioned midsole and multidirectional lugs. "
   "For fast hiking and well-marked trails."),
  ("chaussure de randonnée, basse, légère, imperméable, randonnée rapide",
   "hiking shoes, low-cut, lightweight, waterproof, fast hiking"),
  ("Textile et daim, membrane imperméable, semelle caoutchouc", "Textile and suede, waterproof membrane, rubber outsole"))

M("OBIOUA", "hiking-boots", "289.00", ["ORG"], SHOE_M,
  ("Chaussure d'alpinisme Obiou", "Obiou Mountaineering Boot"),
  ("Chaussure d'alpinisme semi-rigide compatible crampons semi-automatiques, tige en cuir imperméable et guêtre intégrée. "
   "Pour les courses de neige et les voies normales.",
   "Semi-rigid mountaineering boot compatible with semi-automatic crampons, waterproof leather upper and integrated gaiter. "
   "For snow routes and normal routes to the summit."),
  ("chaussure d'alpinisme, alpinisme, crampons, imperméable, montagne, neige",
   "mountaineering boots, alpine, crampon-compatible, waterproof, mountain, snow"),
  ("Cuir 2,6 mm, membrane imperméable, semelle Vibram®", "2.6 mm leather, waterproof membrane, Vibram® outsole"))

M("ROUTRL", "hiking-boots", "129.00", ["BLU"], SHOE_U,
  ("Chaussure de trail Col de Rousset", "Col de Rousset Trail Running Shoe"),
  ("Chaussure de trail dynamique, drop 6 mm, crampons de 5 mm et pare-pierres. "
   "Pour les sentiers techniques du Vercors et les ultras.",
   "Responsive trail running shoe with a 6 mm drop, 5 mm lugs and a rock plate. "
   "For technical Vercors trails and ultras."),
  ("chaussure de trail, trail, course, sentier, légère, accroche",
   "trail running shoes, trail, running, lightweight, grip"),
  ("Mesh technique, semelle caoutchouc, mousse EVA", "Technical mesh, rubber outsole, EVA foam"))

M("COMBEW", "hiking-boots", "169.00", ["GRY"], SHOE_W,
  ("Chaussure de randonnée femme Combe Laval", "Combe Laval Women's Hiking Boot"),
  ("Chaussure de randonnée montante pour femme, forme spécifique plus étroite au talon, membrane imperméable "
   "et semelle adhérente. Légère et confortable dès le premier jour.",
   "Women's mid-cut hiking boot with a women-specific last narrower at the heel, waterproof membrane "
   "and grippy outsole. Light and comfortable from day one."),
  ("chaussure de randonnée, femme, imperméable, montante, confortable",
   "hiking boots, women, waterproof, mid-cut, comfortable"),
  ("Cuir suédé et textile, membrane imperméable", "Suede leather and textile, waterproof membrane"))

# ------------------------------ Bottes d'hiver ---------------------------
M("MACHBT", "winter-boots", "149.00", ["BLK", "BRN"], SHOE_U,
  ("Bottes de neige Col de la Machine", "Col de la Machine Snow Boots"),
  ("Bottes de neige imperméables et fourrées, confort thermique jusqu'à -25 °C, semelle à crampons anti-glisse sur neige et glace. "
   "Laçage rapide.",
   "Waterproof, lined snow boots, warm down to -25 °C, with an anti-slip lugged outsole for snow and ice. "
   "Quick lacing."),
  ("bottes de neige, hiver, imperméable, fourrées, chaud, neige, glace",
   "snow boots, winter boots, waterproof, lined, warm, snow, ice"),
  ("Cuir huilé et textile, doublure fourrée, semelle caoutchouc", "Oiled leather and textile, warm lining, rubber outsole"))

M("HERBAS", "winter-boots", "119.00", ["CML"], SHOE_W,
  ("Après-ski femme Herbouilly", "Herbouilly Women's Après-Ski Boot"),
  ("Après-ski pour femme à tige matelassée déperlante et doublure en laine recyclée. "
   "Chaud et léger pour la station et les balades en raquettes.",
   "Women's après-ski boot with a quilted water-repellent upper and recycled wool lining. "
   "Warm and light for the resort and snowshoe walks."),
  ("après-ski, bottes, femme, hiver, chaud, neige",
   "apres-ski, snow boots, women, winter, warm, snow"),
  ("Polyamide matelassé, doublure laine recyclée", "Quilted polyamide, recycled wool lining"))

# ------------------------------ Chaussures de ville & travail -------------
M("FONDRB", "city-work-shoes", "129.00", ["BLK", "BRN"], SHOE_M6,
  ("Chaussure de travail confort Fontaine", "Fontaine Comfortable Work Shoe"),
  ("Chaussures de travail en cuir pleine fleur conçues pour les longues journées debout : semelle intérieure amovible "
   "amortissante, semelle intermédiaire EVA et semelle extérieure antidérapante (SRC). En noir ou marron, ces "
   "chaussures de travail noires confortables respectent les codes du bureau, de la vente et de la restauration.",
   "Leather work shoes built for long days on your feet: cushioned removable insole, shock-absorbing EVA midsole "
   "and slip-resistant outsole (SRC). In black or brown, these comfortable black work shoes suit office, retail "
   "and hospitality dress codes."),
  ("chaussures de travail, chaussures de travail noires confortables, confortable, noir, cuir, antidérapant, bureau, derby",
   "work shoes, comfortable black work shoes, comfortable, black, leather, slip-resistant, office, derby"),
  ("Cuir pleine fleur, semelle intermédiaire EVA, semelle caoutchouc SRC", "Full-grain leather, EVA midsole, SRC rubber outsole"))

M("SASSS3", "city-work-shoes", "139.00", ["BLK"], SHOE_SAFETY,
  ("Chaussure de sécurité légère Sassenage S3", "Sassenage S3 Lightweight Safety Work Shoe"),
  ("Chaussure de sécurité S3 SRC légère avec embout composite et semelle anti-perforation non métallique. "
   "Chaussant large et mousse à mémoire de forme : des chaussures de travail noires confortables pour l'entrepôt, "
   "l'atelier ou le chantier.",
   "Lightweight S3 SRC safety work shoe with composite toe cap and non-metallic anti-perforation midsole. "
   "Wide fit and memory foam make these comfortable black work shoes for warehouses, workshops and building sites."),
  ("chaussures de travail, chaussures de sécurité, chaussures de travail noires confortables, S3, noir, confortable, embout",
   "work shoes, safety shoes, comfortable black work shoes, S3, black, comfortable, safety toe"),
  ("Cuir pleine fleur hydrofuge, embout composite, semelle PU/caoutchouc",
   "Water-resistant full-grain leather, composite toe cap, PU/rubber outsole"))

M("VOIRNW", "city-work-shoes", "119.00", ["BLK", "NVY"], SHOE_W,
  ("Chaussure de travail confort femme Voiron", "Voiron Women's Comfortable Work Shoe"),
  ("Chaussures de travail pour femme en cuir nappa souple, petit talon bloc de 3 cm, col rembourré et semelle "
   "anatomique. En noir, ce sont des chaussures de travail noires confortables pour les longues journées en boutique, "
   "à l'hôpital ou au bureau.",
   "Women's work shoes in soft nappa leather with a low 3 cm block heel, padded collar and anatomical footbed. "
   "In black, they are comfortable black work shoes for long shifts in the shop, on the ward or at the office."),
  ("chaussures de travail, femme, chaussures de travail noires confortables, confortable, noir, cuir, talon bas",
   "work shoes, women, comfortable black work shoes, comfortable, black, leather, low heel"),
  ("Cuir nappa, semelle anatomique, semelle caoutchouc", "Nappa leather, anatomical footbed, rubber outsole"))

M("STEOXF", "city-work-shoes", "219.00", ["BLK", "BRN"], SHOE_M,
  ("Richelieu cousu Goodyear Saint-Égrève", "Saint-Égrève Goodyear-Welted Oxford"),
  ("Richelieu en cuir de veau box, cousu Goodyear et ressemelable, semelle cuir avec patin caoutchouc. "
   "Une chaussure de ville habillée, noire ou marron, faite pour durer des années.",
   "Box-calf leather Oxford, Goodyear-welted and resoleable, leather sole with rubber insert. "
   "A dress city shoe in black or brown, made to last for years."),
  ("richelieu, chaussures de ville, cuir, habillé, cousu Goodyear, noir, bureau",
   "oxford, dress shoes, city shoes, leather, Goodyear welted, black, office"),
  ("Cuir de veau box, semelle cuir cousue Goodyear", "Box-calf leather, Goodyear-welted leather sole"))

M("ECHIRB", "city-work-shoes", "189.00", ["BLK"], SHOE_U,
  ("Bottine de ville imperméable Échirolles", "Échirolles Waterproof City Boot"),
  ("Bottine de ville en cuir avec membrane imperméable et semelle crantée discrète. "
   "Élégante au bureau, sûre sur les trottoirs mouillés ou enneigés.",
   "Leather city boot with a waterproof membrane and a discreet lugged sole. "
   "Smart at the office, sure-footed on wet or snowy pavements."),
  ("bottine, boots, ville, imperméable, cuir, hiver, noir",
   "chelsea boot, boots, city, waterproof, leather, winter, black"),
  ("Cuir pleine fleur, membrane imperméable, semelle caoutchouc", "Full-grain leather, waterproof membrane, rubber outsole"))

M("SEYSNK", "city-work-shoes", "99.00", ["ECR"], SHOE_U,
  ("Sneaker urbaine Seyssins", "Seyssins Urban Sneaker"),
  ("Sneaker en cuir et daim au profil épuré, semelle caoutchouc vulcanisée et semelle intérieure en liège. "
   "Fabriquée au Portugal.",
   "Clean-profile leather and suede sneaker with a vulcanised rubber sole and cork insole. Made in Portugal."),
  ("sneaker, baskets, ville, cuir, casual, confortable",
   "sneakers, trainers, city, leather, casual, comfortable"),
  ("Cuir et daim, semelle caoutchouc, semelle intérieure liège", "Leather and suede, rubber sole, cork insole"))

# ------------------------------ Sacs à dos --------------------------------
M("BALCON", "backpacks", "89.00", [], [("22L", "22 L"), ("30L", "30 L"), ("38L", "38 L")],
  ("Sac à dos de randonnée Balcon Est", "Balcon Est Hiking Backpack"),
  ("Sac à dos de randonnée à dos ventilé, ceinture rembourrée, poche hydratation et housse de pluie rangée sous le fond. "
   "Disponible en 22, 30 et 38 litres.",
   "Hiking backpack with a ventilated back panel, padded hip belt, hydration sleeve and rain cover stowed in the base. "
   "Available in 22, 30 and 38 litres."),
  ("sac à dos, randonnée, journée, ventilé, hydratation, litres",
   "backpack, rucksack, hiking, daypack, ventilated, hydration, litres"),
  ("Polyamide recyclé 210D, enduction sans PFC", "Recycled 210D polyamide, PFC-free coating"),
  surcharge={"30L": "10.00", "38L": "30.00"})

M("GTRAV", "backpacks", "189.00", ["GRN", "GRY"], [],
  ("Sac à dos trekking Grande Traversée 55+10", "Grande Traversée 55+10 Trekking Pack"),
  ("Sac de trekking 55+10 litres à dos réglable, ouverture frontale en J, ceinture amovible et nombreuses poches. "
   "Pour la Grande Traversée du Vercors et les itinérances de plusieurs jours.",
   "55+10 litre trekking pack with adjustable back length, J-zip front access, removable hip belt and plenty of pockets. "
   "For the Grande Traversée du Vercors and multi-day treks."),
  ("sac à dos, trekking, itinérance, grand volume, 55 litres, bivouac",
   "backpack, trekking pack, multi-day, large, 55 litres, backpacking"),
  ("Polyamide ripstop 420D recyclé, armature aluminium", "Recycled 420D ripstop polyamide, aluminium frame"))

M("GRNURB", "backpacks", "89.00", ["BLK", "GRY", "NVY"], [],
  ("Sac à dos urbain Grenoble 20", "Grenoble 20 Urban Backpack"),
  ("Sac à dos urbain de 20 litres avec compartiment ordinateur 15\", poche anti-vol au dos et tissu déperlant. "
   "Pour le vélotaf, le bureau et les week-ends.",
   "20 litre urban backpack with a 15\" laptop compartment, anti-theft back pocket and water-repellent fabric. "
   "For bike commuting, the office and weekends."),
  ("sac à dos, urbain, ordinateur, ville, bureau, déperlant",
   "backpack, urban, laptop, city, office, commuter, water-repellent"),
  ("Polyester recyclé 600D, enduction PU", "Recycled 600D polyester, PU coating"))

M("PBSKI", "backpacks", "139.00", ["BLK", "ORG"], [],
  ("Sac ski de randonnée Pierre Blanche 32", "Pierre Blanche 32 Ski Touring Pack"),
  ("Sac de ski de randonnée 32 litres avec poche dédiée pelle et sonde, porte-skis diagonal et porte-piolet. "
   "Dos enneigement limité et accès dorsal.",
   "32 litre ski touring pack with a dedicated shovel and probe pocket, diagonal ski carry and ice axe loop. "
   "Snow-shedding back panel and back-panel access."),
  ("sac à dos, ski de randonnée, ski, hiver, avalanche, 32 litres",
   "backpack, ski touring, ski, winter, avalanche, 32 litres"),
  ("Polyamide 420D, renforts Hypalon", "420D polyamide, Hypalon reinforcements"))

M("PACK18", "backpacks", "39.00", ["BLU", "YLW"], [],
  ("Sac à dos compressible 18 L", "Packable 18 L Daypack"),
  ("Sac à dos ultraléger (110 g) qui se replie dans sa propre poche. Le sac d'appoint du voyage et des balades en ville.",
   "Ultralight (110 g) daypack that folds into its own pocket. The spare bag for travel and city strolls."),
  ("sac à dos, compressible, léger, voyage, pliable",
   "backpack, packable, lightweight, travel, foldable, daypack"),
  ("Polyamide ripstop 30D", "30D ripstop polyamide"))

M("HYDRA8", "backpacks", "79.00", [], ["S", "M", "L"],
  ("Gilet d'hydratation trail 8 L", "8 L Trail Hydration Vest"),
  ("Gilet d'hydratation de trail 8 litres avec deux flasques souples de 500 ml, poches frontales et sifflet. "
   "Ajusté comme une seconde peau.",
   "8 litre trail running hydration vest with two 500 ml soft flasks, front pockets and whistle. "
   "Fits like a second skin."),
  ("gilet d'hydratation, trail, course, sac, flasques",
   "hydration vest, trail running, running, pack, soft flasks"),
  ("Mesh polyamide extensible", "Stretch polyamide mesh"))

# ------------------------------ Tentes & bivouac --------------------------
M("DARB2", "tents-bivouac", "349.00", ["GRN"], [],
  ("Tente Darbounouse 2", "Darbounouse 2 Tent"),
  ("Tente de randonnée 2 places autoportante, 1,9 kg, double toit imperméable 3 000 mm et deux absides. "
   "Montage rapide, arceaux aluminium.",
   "Freestanding 2-person backpacking tent, 1.9 kg, waterproof 3,000 mm flysheet and two vestibules. "
   "Quick pitching, aluminium poles."),
  ("tente, 2 places, bivouac, randonnée, légère, autoportante",
   "tent, 2-person, bivouac, backpacking, lightweight, freestanding"),
  ("Polyamide ripstop siliconé, arceaux aluminium", "Silicone-coated ripstop polyamide, aluminium poles"))

M("DARB3", "tents-bivouac", "429.00", ["GRN"], [],
  ("Tente Darbounouse 3", "Darbounouse 3 Tent"),
  ("Version 3 places de la tente Darbounouse, 2,4 kg, double toit imperméable 3 000 mm et deux grandes absides. "
   "Nouvelle version, en précommande.",
   "3-person version of the Darbounouse tent, 2.4 kg, waterproof 3,000 mm flysheet and two large vestibules. "
   "New version, available for pre-order."),
  ("tente, 3 places, bivouac, randonnée, famille, autoportante",
   "tent, 3-person, bivouac, backpacking, family, freestanding"),
  ("Polyamide ripstop siliconé, arceaux aluminium", "Silicone-coated ripstop polyamide, aluminium poles"),
  availability="PreOrder")

M("DARBFP", "tents-bivouac", "39.00", [], [],
  ("Tapis de sol pour tente Darbounouse 2", "Darbounouse 2 Tent Footprint"),
  ("Tapis de sol sur mesure qui protège le plancher de la tente Darbounouse 2 de l'abrasion et de l'humidité.",
   "Custom-fit footprint that protects the base of the Darbounouse 2 tent from abrasion and moisture."),
  ("tapis de sol, tente, protection, bivouac",
   "footprint, groundsheet, tent, protection, bivouac"),
  ("Polyester 150D enduit PU", "PU-coated 150D polyester"),
  accessory_for=["DARB2"])

M("TUSSAC", "tents-bivouac", "259.00", [], [("REG", "Regular"), ("LONG", "Long")],
  ("Sac de couchage duvet Tussac -5 °C", "Tussac -5 °C Down Sleeping Bag"),
  ("Sac de couchage sarcophage en duvet 90/10, température confort 0 °C et limite -5 °C, 950 g. "
   "Compressible dans un sac de 4 litres.",
   "Mummy sleeping bag with 90/10 down, 0 °C comfort and -5 °C limit rating, 950 g. "
   "Compresses into a 4 litre stuff sack."),
  ("sac de couchage, duvet, bivouac, trekking, léger, hiver",
   "sleeping bag, down, bivouac, trekking, lightweight, three-season"),
  ("Polyamide 20D, garnissage duvet de canard 90/10 (RDS)", "20D polyamide, 90/10 duck down fill (RDS)"),
  surcharge={"LONG": "20.00"})

M("MATAUT", "tents-bivouac", "89.00", [], [],
  ("Matelas autogonflant 3,8 cm", "3.8 cm Self-Inflating Mat"),
  ("Matelas autogonflant de 3,8 cm d'épaisseur, R-value 3,5, 780 g. Confortable au bivouac trois saisons.",
   "Self-inflating sleeping mat, 3.8 cm thick, R-value 3.5, 780 g. Comfortable for three-season camping."),
  ("matelas, autogonflant, bivouac, camping, couchage",
   "sleeping mat, sleeping pad, self-inflating, bivouac, camping"),
  ("Polyester 75D, mousse PU", "75D polyester, PU foam"))

M("RECHAU", "tents-bivouac", "49.00", [], [],
  ("Réchaud compact à gaz", "Compact Gas Stove"),
  ("Réchaud à gaz ultracompact (78 g) avec allumage piézo, compatible cartouches à valve EN 417. "
   "Fait bouillir 1 litre en 3 minutes 30.",
   "Ultra-compact gas stove (78 g) with piezo ignition, fits EN 417 valve canisters. Boils 1 litre in 3.5 minutes."),
  ("réchaud, gaz, bivouac, cuisine, léger",
   "stove, gas, bivouac, camp cooking, lightweight"),
  ("Acier inoxydable et aluminium", "Stainless steel and aluminium"))

M("TARPUL", "tents-bivouac", "79.00", [], [],
  ("Tarp ultraléger 3 x 3 m", "Ultralight Tarp 3 x 3 m"),
  ("Tarp de 3 x 3 m en polyamide siliconé, 390 g, avec 16 points d'ancrage. Abri modulable pour le bivouac léger.",
   "3 x 3 m silicone-coated polyamide tarp, 390 g, with 16 tie-out points. Versatile shelter for light bivouacs."),
  ("tarp, abri, bivouac, ultraléger, pluie",
   "tarp, shelter, bivouac, ultralight, rain"),
  ("Polyamide ripstop siliconé 20D", "20D silicone-coated ripstop polyamide"))

M("FRONTL", "tents-bivouac", "45.00", [], [],
  ("Lampe frontale rechargeable 350 lm", "350 lm Rechargeable Headlamp"),
  ("Lampe frontale rechargeable USB-C de 350 lumens, faisceau mixte, mode rouge et étanchéité IPX4.",
   "350 lumen USB-C rechargeable headlamp with mixed beam, red light mode and IPX4 water resistance."),
  ("lampe frontale, éclairage, rechargeable, bivouac, trail",
   "headlamp, head torch, light, rechargeable, bivouac, trail running"),
  ("Polycarbonate, bandeau élastique", "Polycarbonate, elastic headband"))

# ------------------------------ Bonnets & gants ---------------------------
M("BONMER", "hats-gloves", "35.00", ["BLK", "LGR", "RED"], [],
  ("Bonnet mérinos Villard", "Villard Merino Beanie"),
  ("Bonnet côtelé en laine mérinos, chaud, doux et qui ne gratte pas. Taille unique.",
   "Ribbed merino wool beanie, warm, soft and itch-free. One size."),
  ("bonnet, mérinos, laine, hiver, chaud",
   "beanie, hat, merino, wool, winter, warm"),
  ("Laine mérinos 100 %", "100% merino wool"))

M("BOBPOM", "hats-gloves", "39.00", ["ECR", "BRG", "NVY"], [],
  ("Bonnet à pompon Autrans", "Autrans Bobble Hat"),
  ("Bonnet en maille torsadée avec pompon, doublure polaire au niveau du front. Taille unique.",
   "Cable-knit bobble hat with a fleece headband lining. One size."),
  ("bonnet, pompon, laine, hiver, ski, chaud",
   "beanie, bobble hat, pom-pom, wool, winter, ski, warm"),
  ("Laine 50 %, acrylique recyclé 50 %, doublure polaire", "50% wool, 50% recycled acrylic, fleece lining"))

M("GANIMP", "hats-gloves", "59.00", ["BLK"], SZ,
  ("Gants imperméables d'hiver", "Waterproof Winter Gloves"),
  ("Gants d'hiver imperméables et isolés, paume en cuir de chèvre, compatibles écran tactile. "
   "Pour le ski, la raquette et les trajets à vélo en hiver.",
   "Waterproof, insulated winter gloves with goatskin palms, touchscreen compatible. "
   "For skiing, snowshoeing and winter bike commutes."),
  ("gants, imperméable, hiver, ski, chaud, écran tactile",
   "gloves, waterproof, winter, ski, warm, touchscreen"),
  ("Polyamide, membrane imperméable, paume cuir de chèvre, isolation synthétique",
   "Polyamide, waterproof membrane, goatskin palm, synthetic insulation"))

M("SOUGNT", "hats-gloves", "29.00", ["BLK"], SZ_GLOVE3,
  ("Sous-gants mérinos", "Merino Liner Gloves"),
  ("Sous-gants fins en mérinos, à porter seuls en mi-saison ou sous des gants ou des moufles en hiver.",
   "Thin merino liner gloves, worn alone in the shoulder seasons or under gloves or mittens in winter."),
  ("sous-gants, gants, mérinos, fins, hiver",
   "liner gloves, gloves, merino, thin, winter"),
  ("Laine mérinos 90 %, élasthanne 10 %", "90% merino wool, 10% elastane"))

M("MOUFLE", "hats-gloves", "69.00", ["BLK"], SZ_GLOVE3,
  ("Moufles grand froid", "Extreme Cold Mittens"),
  ("Moufles très chaudes en duvet avec coque imperméable et manchette longue. Pour l'alpinisme hivernal et le grand froid.",
   "Very warm down mittens with a waterproof shell and long gauntlet. For winter mountaineering and extreme cold."),
  ("moufles, gants, grand froid, duvet, imperméable, hiver",
   "mittens, gloves, extreme cold, down, waterproof, winter"),
  ("Polyamide, membrane imperméable, garnissage duvet", "Polyamide, waterproof membrane, down fill"))

M("CASQUE", "hats-gloves", "29.00", ["SND", "OLV"], [],
  ("Casquette de randonnée", "Hiking Cap"),
  ("Casquette légère en tissu technique respirant, protection UPF 50+ et bandeau anti-transpiration.",
   "Light cap in breathable technical fabric, UPF 50+ sun protection and sweatband."),
  ("casquette, randonnée, été, soleil, anti-UV",
   "cap, hiking, summer, sun, UPF"),
  ("Polyamide recyclé 100 %", "100% recycled polyamide"))

M("TOURCO", "hats-gloves", "19.90", ["BLK", "RED"], [],
  ("Tour de cou polaire", "Fleece Neck Gaiter"),
  ("Tour de cou en micropolaire douce, à porter en cache-cou ou en bonnet.",
   "Soft microfleece neck gaiter, wear it as a neck warmer or a hat."),
  ("tour de cou, cache-cou, polaire, hiver, ski",
   "neck gaiter, neck warmer, fleece, winter, ski"),
  ("Micropolaire polyester recyclé", "Recycled polyester microfleece"))

# ------------------------------ Chaussettes & guêtres ---------------------
M("CHRAND", "socks-gaiters", "19.90", ["GRY"], SOCKS,
  ("Chaussettes de randonnée mérinos", "Merino Hiking Socks"),
  ("Chaussettes de randonnée mi-mollet en mérinos, bouclette renforcée au talon et à la pointe. "
   "Confort et anti-ampoules sur les longues étapes.",
   "Mid-calf merino hiking socks with terry cushioning at the heel and toe. "
   "Comfortable and blister-free on long stages."),
  ("chaussettes, randonnée, mérinos, laine, anti-ampoules",
   "socks, hiking socks, merino, wool, blister-free"),
  ("Laine mérinos 60 %, polyamide 37 %, élasthanne 3 %", "60% merino wool, 37% polyamide, 3% elastane"))

M("CHSKI", "socks-gaiters", "24.90", ["BLU"], SOCKS,
  ("Chaussettes de ski", "Ski Socks"),
  ("Chaussettes de ski hautes en mérinos, protection du tibia et maintien de la voûte plantaire.",
   "Over-the-calf merino ski socks with shin padding and arch support."),
  ("chaussettes, ski, mérinos, hiver, chaudes",
   "socks, ski socks, merino, winter, warm"),
  ("Laine mérinos 55 %, polyamide 42 %, élasthanne 3 %", "55% merino wool, 42% polyamide, 3% elastane"))

M("CHVILL", "socks-gaiters", "14.90", ["BLK", "NVY"], SOCKS,
  ("Chaussettes de ville mérinos", "Merino City Socks"),
  ("Chaussettes de ville fines en mérinos, respirantes et anti-odeurs, fabriquées en France.",
   "Fine merino dress socks, breathable and odour-resistant, made in France."),
  ("chaussettes, ville, mérinos, bureau, made in France",
   "socks, dress socks, merino, office, made in France"),
  ("Laine mérinos 70 %, polyamide 28 %, élasthanne 2 %", "70% merino wool, 28% polyamide, 2% elastane"))

M("CHTRAV", "socks-gaiters", "16.90", ["BLK"], SOCKS,
  ("Chaussettes de travail renforcées (lot de 2)", "Reinforced Work Socks (2-pack)"),
  ("Lot de 2 paires de chaussettes de travail renforcées, bouclette sous le pied et maintien de la cheville, "
   "pour les journées en chaussures de sécurité.",
   "2-pack of reinforced work socks with terry sole cushioning and ankle support, "
   "for long days in safety shoes."),
  ("chaussettes, travail, renforcées, chaussures de sécurité, confort",
   "socks, work socks, reinforced, safety shoes, comfort"),
  ("Coton 65 %, polyamide 33 %, élasthanne 2 %", "65% cotton, 33% polyamide, 2% elastane"),
  accessory_for=["SASSS3", "FONDRB"])

M("GUETRE", "socks-gaiters", "49.00", [], GAITERS,
  ("Guêtres de randonnée imperméables", "Waterproof Hiking Gaiters"),
  ("Guêtres imperméables et respirantes qui empêchent boue, neige et cailloux d'entrer dans les chaussures. "
   "Sangle sous-pied remplaçable.",
   "Waterproof, breathable gaiters that keep mud, snow and stones out of your boots. Replaceable instep strap."),
  ("guêtres, imperméable, randonnée, boue, neige",
   "gaiters, waterproof, hiking, mud, snow"),
  ("Polyamide, membrane imperméable", "Polyamide, waterproof membrane"),
  accessory_for=["GRVMID", "PREPEY", "COMBEW"])

M("GUEHIV", "socks-gaiters", "69.00", [], GAITERS,
  ("Guêtres hivernales longues", "Long Winter Gaiters"),
  ("Guêtres hautes renforcées pour la neige profonde et l'alpinisme, bas en Cordura® résistant aux crampons.",
   "Tall reinforced gaiters for deep snow and mountaineering, with crampon-resistant Cordura® lower panels."),
  ("guêtres, hiver, neige, alpinisme, raquette",
   "gaiters, winter, snow, mountaineering, snowshoeing"),
  ("Polyamide, membrane imperméable, Cordura®", "Polyamide, waterproof membrane, Cordura®"),
  accessory_for=["OBIOUA", "MACHBT"])

# ------------------------------ Entretien & réparation --------------------
M("SPRAY", "care-repair", "14.90", [], [],
  ("Spray imperméabilisant textile 300 ml", "Textile Waterproofing Spray 300 ml"),
  ("Spray imperméabilisant sans PFC qui restaure le traitement déperlant des vestes, manteaux et pantalons "
   "imperméables, sans altérer la respirabilité.",
   "PFC-free waterproofing spray that restores the water-repellent finish of waterproof jackets, coats and trousers "
   "without reducing breathability."),
  ("imperméabilisant, spray, entretien, déperlant, veste, manteau",
   "waterproofing spray, reproofing, care, water-repellent, jacket, coat"),
  ("Formule aqueuse sans PFC", "PFC-free water-based formula"),
  accessory_for=["ALPJKT", "CHMCOAT", "VASCOAT", "BOURAIN", "CORSKI", "BOUOVP"])

M("CIRE", "care-repair", "12.90", [], [],
  ("Cire nourrissante pour cuir 100 ml", "Leather Conditioning Wax 100 ml"),
  ("Cire à la cire d'abeille qui nourrit et imperméabilise le cuir des chaussures de randonnée et de ville.",
   "Beeswax-based conditioner that nourishes and waterproofs the leather of hiking and city shoes."),
  ("cire, cuir, entretien, chaussures, imperméabilisant",
   "wax, leather care, shoe care, boots, waterproofing"),
  ("Cire d'abeille, huiles végétales", "Beeswax, plant oils"),
  accessory_for=["GRVMID", "OBIOUA", "ECHIRB", "MACHBT"])

M("CIRAGE", "care-repair", "9.90", ["BLK"], [],
  ("Crème cirage noire", "Black Shoe Cream"),
  ("Crème cirage noire qui ravive la couleur et protège les chaussures de travail et de ville en cuir lisse.",
   "Black shoe cream that revives the colour and protects smooth-leather work and dress shoes."),
  ("cirage, crème, noir, cuir, entretien, chaussures de travail",
   "shoe polish, shoe cream, black, leather, care, work shoes"),
  ("Cires naturelles et pigments", "Natural waxes and pigments"),
  accessory_for=["FONDRB", "SASSS3", "STEOXF", "VOIRNW"])

M("LACETS", "care-repair", "6.90", ["BRN", "RED"], [],
  ("Lacets de randonnée ronds 150 cm", "Round Hiking Laces 150 cm"),
  ("Paire de lacets ronds tressés haute résistance pour chaussures de randonnée et d'alpinisme.",
   "Pair of high-strength braided round laces for hiking and mountaineering boots."),
  ("lacets, randonnée, chaussures, rechange, pièce détachée",
   "laces, bootlaces, hiking boots, replacement, spare part"),
  ("Polyester tressé", "Braided polyester"),
  accessory_for=["GRVMID", "PREPEY", "COMBEW", "OBIOUA"])

M("SEMEL", "care-repair", "29.00", [], [("38-40", "38-40"), ("41-43", "41-43"), ("44-46", "44-46")],
  ("Semelles intérieures confort", "Comfort Insoles"),
  ("Semelles intérieures à soutien de voûte et talonnette amortissante, à découper. "
   "Soulagent les pieds lors des longues journées debout ou en marche.",
   "Trim-to-fit insoles with arch support and a cushioned heel cup. "
   "Relieve your feet on long days standing or walking."),
  ("semelles, confort, amorti, chaussures de travail, randonnée",
   "insoles, comfort, cushioning, work shoes, hiking"),
  ("Mousse PU, tissu antibactérien", "PU foam, antibacterial top sheet"),
  accessory_for=["FONDRB", "SASSS3", "VOIRNW", "GRVMID"])

M("HOUSSE", "care-repair", "24.90", [], [("S", "S (15-30 L)"), ("M", "M (30-50 L)"), ("L", "L (50-75 L)")],
  ("Housse de pluie pour sac à dos", "Backpack Rain Cover"),
  ("Housse de pluie imperméable haute visibilité avec cordon élastique, pour protéger le sac et son contenu.",
   "High-visibility waterproof rain cover with elastic drawcord to keep your pack and its contents dry."),
  ("housse de pluie, sac à dos, imperméable, protection",
   "rain cover, backpack, waterproof, pack cover"),
  ("Polyamide enduit PU", "PU-coated polyamide"),
  accessory_for=["BALCON", "GTRAV", "PBSKI", "GRNURB"])

M("KITREP", "care-repair", "9.90", [], [],
  ("Kit de réparation textile", "Fabric Repair Kit"),
  ("Patchs adhésifs pour réparer en quelques secondes un accroc sur une doudoune, une veste imperméable ou une tente.",
   "Adhesive patches to fix a tear in a down jacket, waterproof jacket or tent in seconds."),
  ("réparation, patch, doudoune, tente, veste",
   "repair kit, patch, down jacket, tent, jacket"),
  ("Polyamide adhésif", "Adhesive polyamide"),
  accessory_for=["MOUDWN", "ALPJKT", "DARB2", "EXPPRK"])

M("LESDUV", "care-repair", "11.90", [], [],
  ("Lessive spéciale duvet 250 ml", "Down Wash 250 ml"),
  ("Lessive douce qui nettoie le duvet sans l'agglomérer et préserve son gonflant.",
   "Gentle detergent that cleans down without clumping and preserves its loft."),
  ("lessive, duvet, entretien, doudoune, sac de couchage",
   "down wash, detergent, care, down jacket, sleeping bag"),
  ("Formule biodégradable", "Biodegradable formula"),
  accessory_for=["MOUDWN", "AUTVST", "VLLPRK", "TUSSAC"])

# ------------------------------ isSimilarTo (symmetric) -------------------
SIMILAR = [
    ("CHMCOAT", "LNSCOAT"),
    ("CHMCOAT", "VASCOAT"),
    ("CHMCOAT", "VLLPRK"),
    ("VLLPRK", "EXPPRK"),
    ("VLLPRK", "GRETRN"),
    ("LNSCOAT", "GRETRN"),
    ("ALPJKT", "BOURAIN"),
    ("ALPJKT", "CORSKI"),
    ("MOUDWN", "AUTVST"),
    ("MOUDWN", "GLANDS"),
    ("CORFLC", "CHOFLC"),
    ("CORFLC", "PASGRD"),
    ("MALHZ", "ROYPUL"),
    ("SORTEE", "SYNTEE"),
    ("TRIPNT", "PREZIP"),
    ("URLPNT", "CORSKP"),
    ("GRVMID", "COMBEW"),
    ("GRVMID", "PREPEY"),
    ("PREPEY", "ROUTRL"),
    ("MACHBT", "HERBAS"),
    ("FONDRB", "SASSS3"),
    ("FONDRB", "VOIRNW"),
    ("STEOXF", "ECHIRB"),
    ("BALCON", "PBSKI"),
    ("DARB2", "DARB3"),
    ("BONMER", "BOBPOM"),
    ("GANIMP", "MOUFLE"),
    ("CHRAND", "CHSKI"),
]

# ==========================================================================
# Build sellable items
# ==========================================================================


def gtin13(body12: str) -> str:
    assert len(body12) == 12 and body12.isdigit()
    return body12 + str(gs1_check_digit(body12))


def gs1_check_digit(body: str) -> int:
    # weights 3,1,3,1... starting from the rightmost digit of the body
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_valid(g: str) -> bool:
    return len(g) == 13 and g.isdigit() and gs1_check_digit(g[:12]) == int(g[12])


def group_iri(m):
    return f"{BASE}product/VC-{m['gid']}"


def is_standalone(m):
    return not m["sizes"] and len(m["colours"]) <= 1


def build_items():
    items = []
    item_ref = GTIN_FIRST_ITEM_REF
    rng_oos = random.Random(1703)
    for m in MODELS:
        colours = m["colours"] or [None]
        sizes = m["sizes"] or [(None, None)]
        for c in colours:
            for tok, label in sizes:
                parts = ["VC", m["gid"]]
                if c and not is_standalone(m):
                    parts.append(c)
                if tok:
                    parts.append(tok)
                sku = "-".join(parts)
                price = m["price"] + m["surcharge"].get(tok, 0)
                avail = "InStock"
                if m["availability"]:
                    avail = m["availability"]
                else:
                    for key in (f"{c}-{tok}", c, tok):
                        if key in m["sku_availability"]:
                            avail = m["sku_availability"][key]
                            break
                    if avail == "InStock" and not is_standalone(m) and rng_oos.random() < 0.045:
                        avail = "OutOfStock"
                items.append(dict(
                    sku=sku, model=m, colour=c, size_tok=tok, size=label,
                    price=price, availability=avail,
                    gtin=gtin13(f"{GS1_COMPANY_PREFIX}{item_ref:05d}"),
                ))
                item_ref += 1
    return items


# ==========================================================================
# Turtle writer
# ==========================================================================

PREFIXES = [
    ("schema", "https://schema.org/"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("vc", BASE),
    ("vcp", BASE + "product/"),
    ("vco", BASE + "offer/"),
    ("vct", BASE + "taxonomy/"),
]

_LOCAL_OK = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9_-])?$")


def iri(u: str) -> str:
    """Compact an IRI with one of our prefixes when the local part is safe."""
    best = None
    for p, ns in PREFIXES:
        if u.startswith(ns):
            local = u[len(ns):]
            if _LOCAL_OK.match(local) and (best is None or len(ns) > len(best[1])):
                best = (p, ns, local)
    if best:
        return f"{best[0]}:{best[2]}"
    assert not any(ch in u for ch in '<>"{}|^`\\ '), u
    return f"<{u}>"


def lit(s: str, lang: str | None = None) -> str:
    esc = (s.replace("\\", "\\\\").replace('"', '\\"')
           .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{esc}"' + (f"@{lang}" if lang else "")


def dec(cents: int) -> str:
    return f'"{fmt_eur(cents)}"^^xsd:decimal'


def fr_en(pair):
    return [lit(pair[0], "fr"), lit(pair[1], "en")]


class Doc:
    def __init__(self):
        self.out = io.StringIO()
        self.subjects: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (subject, predicate, object IRI)
        self.triples = 0

    def comment(self, text):
        self.out.write(f"\n# {text}\n")

    def block(self, subject: str, rdf_type: str, props: list[tuple[str, list[str]]]):
        assert subject not in self.subjects, f"duplicate subject {subject}"
        self.subjects.add(subject)
        lines = [f"{iri(subject)}", f"    a {rdf_type}"]
        self.triples += 1
        for pred, objs in props:
            if not objs:
                continue
            self.triples += len(objs)
            lines[-1] += " ;"
            lines.append(f"    {pred} " + ", ".join(objs))
        lines[-1] += " ."
        self.out.write("\n".join(lines) + "\n\n")

    def ref(self, subject, pred, target_iri):
        self.refs.append((subject, pred, target_iri))
        return iri(target_iri)


def taxo_iri(slug):
    return f"{BASE}taxonomy/{slug}"


def write_catalog(items) -> Doc:
    d = Doc()
    d.out.write("# Maison Vercors — demo catalogue for b2a.\n")
    d.out.write("# GENERATED by generate.py — do not edit by hand; edit the table in generate.py and re-run.\n")
    d.out.write("# Vocabulary: schema.org (products, offers, policies) + SKOS (taxonomy).\n\n")
    for p, ns in PREFIXES:
        d.out.write(f"@prefix {p}: <{ns}> .\n")

    # ---- brand
    d.comment("Brand")
    d.block(BRAND_IRI, "schema:Brand", [
        ("schema:name", [lit("Maison Vercors")]),
        ("schema:alternateName", [lit("Vercors")]),
        ("schema:description", fr_en((
            "Maison Vercors conçoit depuis Villard-de-Lans des vêtements, chaussures et équipements de montagne, "
            "de randonnée et d'hiver, durables et réparables, pour la montagne comme pour la ville.",
            "Maison Vercors designs durable, repairable mountain, hiking and winter clothing, footwear and gear "
            "from Villard-de-Lans, for the mountains and the city alike."))),
        ("schema:url", ["<" + BASE + ">"]),
        ("schema:logo", ["<" + BASE + "assets/logo.svg>"]),
        ("schema:slogan", fr_en(("Du plateau à la ville.", "From the plateau to the city."))),
    ])

    # ---- taxonomy
    d.comment("Taxonomy (SKOS)")
    d.block(SCHEME_IRI, "skos:ConceptScheme", [
        ("skos:prefLabel", fr_en(("Catalogue Maison Vercors", "Maison Vercors catalog"))),
        ("skos:hasTopConcept", [d.ref(SCHEME_IRI, "skos:hasTopConcept", taxo_iri("catalog"))]),
    ])
    for slug, parent, fr, en in TAXONOMY:
        s = taxo_iri(slug)
        props = [
            ("skos:notation", [lit(slug)]),
            ("skos:prefLabel", fr_en((fr, en))),
            ("skos:inScheme", [d.ref(s, "skos:inScheme", SCHEME_IRI)]),
        ]
        if parent:
            props.append(("skos:broader", [d.ref(s, "skos:broader", taxo_iri(parent))]))
        else:
            props.append(("skos:topConceptOf", [d.ref(s, "skos:topConceptOf", SCHEME_IRI)]))
        d.block(s, "skos:Concept", props)

    # ---- shipping
    d.comment("Shipping")
    regions = []
    for code, fr, en in COUNTRIES:
        r = f"{BASE}shipping/region/{code}"
        regions.append(r)
        d.block(r, "schema:DefinedRegion", [
            ("schema:addressCountry", [lit(code)]),
            ("schema:name", fr_en((fr, en))),
        ])

    def shipping(node, name, rate, handling, transit):
        d.block(node, "schema:OfferShippingDetails", [
            ("schema:name", fr_en(name)),
            ("schema:shippingDestination", [d.ref(node, "schema:shippingDestination", r) for r in regions]),
            ("schema:shippingRate", [
                f'[ a schema:MonetaryAmount ; schema:value {dec(rate)} ; schema:currency "{CURRENCY}" ]']),
            ("schema:deliveryTime", [
                "[ a schema:ShippingDeliveryTime ;\n"
                f'        schema:handlingTime [ a schema:QuantitativeValue ; schema:minValue {handling[0]} ; '
                f'schema:maxValue {handling[1]} ; schema:unitCode "DAY" ] ;\n'
                f'        schema:transitTime [ a schema:QuantitativeValue ; schema:minValue {transit[0]} ; '
                f'schema:maxValue {transit[1]} ; schema:unitCode "DAY" ] ]']),
        ])
        # blank-node triples not counted by block(): rate (3) + deliveryTime (3) + 2 x QV (4 each)
        d.triples += 3 + 3 + 4 + 4

    shipping(SHIPPING_IRI, ("Livraison standard Europe", "Standard EU delivery"), 490, (0, 1), (2, 5))
    if INCLUDE_EXPRESS_SHIPPING:
        shipping(EXPRESS_IRI, ("Livraison express Europe", "Express EU delivery"), 1290, (0, 0), (1, 2))

    # ---- returns
    d.comment("Return policy")
    d.block(RETURNS_IRI, "schema:MerchantReturnPolicy", [
        ("schema:name", fr_en(("Retours gratuits sous 30 jours", "Free returns within 30 days"))),
        ("schema:applicableCountry", [lit(c) for c, _, _ in COUNTRIES]),
        ("schema:returnPolicyCategory", ["schema:MerchantReturnFiniteReturnWindow"]),
        ("schema:merchantReturnDays", ["30"]),
        ("schema:returnMethod", ["schema:ReturnByMail"]),
        ("schema:returnFees", ["schema:FreeReturn"]),
        ("schema:refundType", ["schema:FullRefund"]),
    ])

    # ---- products
    by_model: dict[str, list[dict]] = {}
    for it in items:
        by_model.setdefault(it["model"]["gid"], []).append(it)
    similar: dict[str, list[str]] = {}
    for a, b in SIMILAR:
        similar.setdefault(a, []).append(b)
        similar.setdefault(b, []).append(a)
    gid_iri = {m["gid"]: (group_iri(m) if not is_standalone(m) else f"{BASE}product/{by_model[m['gid']][0]['sku']}")
               for m in MODELS}

    current_cat = None
    for m in MODELS:
        if m["cat"] != current_cat:
            current_cat = m["cat"]
            d.comment(f"Category: {current_cat}")
        vitems = by_model[m["gid"]]
        image = f"<{BASE}images/products/{m['gid'].lower()}.jpg>"
        subj_model = gid_iri[m["gid"]]
        relation_props = [
            ("schema:isSimilarTo",
             [d.ref(subj_model, "schema:isSimilarTo", gid_iri[g]) for g in similar.get(m["gid"], [])]),
            ("schema:isAccessoryOrSparePartFor",
             [d.ref(subj_model, "schema:isAccessoryOrSparePartFor", gid_iri[g]) for g in m["accessory_for"]]),
        ]
        common = [
            ("schema:description", fr_en(m["desc"])),
            ("schema:keywords", fr_en(m["kw"])),
            ("schema:brand", [d.ref(subj_model, "schema:brand", BRAND_IRI)]),
            ("schema:category", [d.ref(subj_model, "schema:category", taxo_iri(m["cat"]))]),
        ]
        if not is_standalone(m):
            varies = []
            if len(m["colours"]) > 1:
                varies.append("schema:color")
            if m["sizes"]:
                varies.append("schema:size")
            d.block(subj_model, "schema:ProductGroup", [
                ("schema:productGroupID", [lit(f"VC-{m['gid']}")]),
                ("schema:name", fr_en(m["name"])),
                *common,
                ("schema:material", fr_en(m["mat"])),
                ("schema:variesBy", varies),
                ("schema:image", [image]),
                *relation_props,
                ("schema:hasVariant",
                 [d.ref(subj_model, "schema:hasVariant", f"{BASE}product/{it['sku']}") for it in vitems]),
            ])
        for it in vitems:
            p = f"{BASE}product/{it['sku']}"
            o = f"{BASE}offer/{it['sku']}"
            if is_standalone(m):
                name_fr, name_en = m["name"]
                extra_rel = relation_props
            else:
                qual_fr, qual_en = [], []
                if it["colour"]:
                    qual_fr.append(COLOURS[it["colour"]][0])
                    qual_en.append(COLOURS[it["colour"]][1])
                if it["size"]:
                    qual_fr.append(it["size"])
                    qual_en.append(it["size"])
                name_fr = f"{m['name'][0]} — {', '.join(qual_fr)}"
                name_en = f"{m['name'][1]} — {', '.join(qual_en)}"
                extra_rel = []
            props = [
                ("schema:sku", [lit(it["sku"])]),
                ("schema:gtin13", [lit(it["gtin"])]),
                ("schema:name", fr_en((name_fr, name_en))),
                ("schema:description", fr_en(m["desc"])),
                ("schema:keywords", fr_en(m["kw"])),
                ("schema:brand", [d.ref(p, "schema:brand", BRAND_IRI)]),
                ("schema:category", [d.ref(p, "schema:category", taxo_iri(m["cat"]))]),
                ("schema:material", fr_en(m["mat"])),
                ("schema:color", fr_en(COLOURS[it["colour"]]) if it["colour"] else []),
                ("schema:size", [lit(it["size"])] if it["size"] else []),
                ("schema:isVariantOf", [] if is_standalone(m) else [d.ref(p, "schema:isVariantOf", subj_model)]),
                ("schema:image", [image]),
                *extra_rel,
                ("schema:offers", [d.ref(p, "schema:offers", o)]),
            ]
            d.block(p, "schema:Product", props)
            ships = [d.ref(o, "schema:shippingDetails", SHIPPING_IRI)]
            if INCLUDE_EXPRESS_SHIPPING:
                ships.append(d.ref(o, "schema:shippingDetails", EXPRESS_IRI))
            d.block(o, "schema:Offer", [
                ("schema:price", [dec(it["price"])]),
                ("schema:priceCurrency", [lit(CURRENCY)]),
                ("schema:availability", [f"schema:{it['availability']}"]),
                ("schema:itemCondition", ["schema:NewCondition"]),
                ("schema:seller", [d.ref(o, "schema:seller", BRAND_IRI)]),
                ("schema:shippingDetails", ships),
                ("schema:hasMerchantReturnPolicy", [d.ref(o, "schema:hasMerchantReturnPolicy", RETURNS_IRI)]),
            ])
    return d


# ==========================================================================
# stock.csv and private/costs.csv
# ==========================================================================


def build_stock(items):
    rng = random.Random(4242)
    stock = {}
    for it in items:
        r = rng.random()
        q = rng.randint(5, 120)
        if it["availability"] in ("OutOfStock", "PreOrder"):
            stock[it["sku"]] = 0
        elif r < 0.06:
            stock[it["sku"]] = 2 + (q % 2)  # 2 or 3: low stock
        else:
            stock[it["sku"]] = q
    return stock


def build_costs(items):
    rng = random.Random(9001)
    ratios = {}
    for m in MODELS:
        cost_ratio = rng.uniform(0.36, 0.54)
        floor_factor = rng.uniform(1.16, 1.29)
        ratios[m["gid"]] = (cost_ratio, floor_factor)
    costs = {}
    for it in items:
        cost_ratio, floor_factor = ratios[it["model"]["gid"]]
        cost = int(round(it["price"] * cost_ratio))
        floor = int(round(cost * floor_factor))
        costs[it["sku"]] = (cost, floor)
    return costs


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# ==========================================================================
# Self-check
# ==========================================================================


def self_check(items, doc: Doc, ttl: str, stock_path, costs_path):
    errors = []

    def check(cond, msg):
        if not cond:
            errors.append(msg)

    skus = [it["sku"] for it in items]
    gtins = [it["gtin"] for it in items]
    check(len(set(skus)) == len(skus), "duplicate SKU")
    check(len(set(gtins)) == len(gtins), "duplicate GTIN")
    for it in items:
        check(re.fullmatch(r"[A-Z0-9-]{1,40}", it["sku"]) is not None, f"bad SKU {it['sku']}")
        check(gtin_valid(it["gtin"]), f"bad GTIN check digit {it['gtin']}")
        check(300 <= int(it["gtin"][:3]) <= 379, f"GTIN not in French range {it['gtin']}")
        check(it["availability"] in ("InStock", "OutOfStock", "PreOrder"), f"availability {it['sku']}")
        check(re.fullmatch(r"\d+\.\d{2}", fmt_eur(it["price"])) is not None and it["price"] > 0,
              f"price {it['sku']}")
    gids = [m["gid"] for m in MODELS]
    check(len(set(gids)) == len(gids), "duplicate model id")
    for m in MODELS:
        for pair in (m["name"], m["desc"], m["kw"], m["mat"]):
            check(len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair),
                  f"{m['gid']}: fr+en text missing")
        for c in m["colours"]:
            check(c in COLOURS, f"{m['gid']}: unknown colour {c}")

    # ttl-level checks on sellable products
    for it in items:
        sku = it["sku"]
        block = ttl.split(f"vcp:{sku}\n    a schema:Product", 1)
        check(len(block) == 2, f"product block missing for {sku}")
        if len(block) == 2:
            body = block[1].split(" .\n", 1)[0]
            check(re.search(r'schema:name "[^"]+"@fr, "[^"]+"@en', body) is not None, f"{sku}: fr+en name")
        oblock = ttl.split(f"vco:{sku}\n    a schema:Offer", 1)
        check(len(oblock) == 2, f"offer block missing for {sku}")
        if len(oblock) == 2:
            body = oblock[1].split(" .\n", 1)[0]
            check(re.search(r'schema:price "\d+\.\d{2}"\^\^xsd:decimal', body) is not None, f"{sku}: price")
            check('schema:priceCurrency "EUR"' in body, f"{sku}: currency")
            check(re.search(r"schema:availability schema:(InStock|OutOfStock|PreOrder)", body) is not None,
                  f"{sku}: availability")

    # every referenced IRI is defined
    for s, p, o in doc.refs:
        check(o in doc.subjects, f"{s} {p} -> undefined {o}")

    # taxonomy: no cycles, every leaf category used, >= 7 leaves
    parents = {slug: parent for slug, parent, _, _ in TAXONOMY}
    for slug in parents:
        seen, cur = set(), slug
        while cur is not None:
            check(cur not in seen, f"taxonomy cycle at {slug}")
            if cur in seen:
                break
            seen.add(cur)
            cur = parents[cur]
        check(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) is not None, f"bad slug {slug}")
    leaves = {s for s in parents if s not in set(parents.values())}
    used = {m["cat"] for m in MODELS}
    check(used <= leaves, f"products in non-leaf categories: {used - leaves}")
    check(len(leaves) >= 7, "fewer than 7 leaf categories")
    check(len(MODELS) >= 64, f"only {len(MODELS)} models")
    check(200 <= len(items) <= 400, f"SKU count {len(items)} outside [200, 400]")
    relation_links = sum(1 for _, p, _ in doc.refs if p in ("schema:isSimilarTo", "schema:isAccessoryOrSparePartFor"))
    check(relation_links >= 20, f"only {relation_links} relation links")

    # scenario products
    def min_price(m):
        return min(it["price"] for it in items if it["model"] is m)

    coats = [m for m in MODELS if m["cat"] == "coats-jackets"
             and "waterproof winter coat" in (m["name"][1] + " " + m["desc"][1]).lower()
             and "manteau d'hiver" in (m["name"][0] + " " + m["desc"][0] + " " + m["kw"][0]).lower()
             and "imperméable" in (m["name"][0] + " " + m["desc"][0]).lower()]
    check(len(coats) >= 3, f"only {len(coats)} waterproof winter coats")
    check(any(min_price(m) < 20000 for m in coats), "no waterproof winter coat under 200 EUR")
    check(any(min_price(m) >= 20000 for m in coats), "no waterproof winter coat above 200 EUR")
    work = [m for m in MODELS if m["cat"] == "city-work-shoes"
            and "comfortable black work shoes" in (m["desc"][1] + " " + m["kw"][1]).lower()
            and "chaussures de travail noires confortables" in (m["desc"][0] + " " + m["kw"][0]).lower()
            and "BLK" in m["colours"]
            and any(it["model"] is m and it["colour"] == "BLK" and it["price"] < 15000
                    and it["availability"] == "InStock" for it in items)]
    check(len(work) >= 2, f"only {len(work)} black work shoe models under 150 EUR")
    check(any(min_price(m) > 15000 for m in MODELS if m["cat"] in ("city-work-shoes", "hiking-boots")),
          "no shoes above 150 EUR")
    check(any(it["availability"] == "OutOfStock" for it in items), "no OutOfStock offer")
    check(any(it["availability"] == "PreOrder" for it in items), "no PreOrder offer")

    # CSVs
    with open(stock_path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["sku", "stock"], "stock.csv header")
    stock = {r[0]: int(r[1]) for r in rows[1:]}
    check(len(rows) - 1 == len(stock), "stock.csv duplicate SKU")
    check(set(stock) == set(skus), "stock.csv SKU set mismatch")
    for it in items:
        q = stock.get(it["sku"], -1)
        check(q >= 0, f"negative stock {it['sku']}")
        if it["availability"] == "OutOfStock":
            check(q == 0, f"OutOfStock with stock {it['sku']}")
        if it["availability"] == "InStock":
            check(q > 0, f"InStock with zero stock {it['sku']}")
    check(sum(1 for q in stock.values() if q == 0) >= 3, "too few zero-stock SKUs")
    check(sum(1 for q in stock.values() if q in (2, 3)) >= 3, "too few low-stock SKUs")

    with open(costs_path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    check(rows[0] == ["sku", "cost_minor", "floor_minor", "currency"], "costs.csv header")
    costs = {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows[1:]}
    check(len(rows) - 1 == len(costs), "costs.csv duplicate SKU")
    check(set(costs) == set(skus), "costs.csv SKU set mismatch")
    for it in items:
        cost, floor, cur = costs.get(it["sku"], (0, 0, ""))
        price = it["price"]
        check(cur == "EUR", f"currency {it['sku']}")
        check(0 < cost < floor < price, f"cost<floor<price violated for {it['sku']}")
        check(0.35 * price <= cost <= 0.55 * price, f"cost ratio out of range for {it['sku']}")
        check(1.15 * cost <= floor <= 1.30 * cost, f"floor factor out of range for {it['sku']}")

    # private data must not leak into the public catalogue
    low = ttl.lower()
    for word in ("cost", "floor", "margin", "supplier", "fournisseur", "stock\"", "stocklevel", "inventory"):
        check(word not in low, f"catalog.ttl mentions {word!r}")

    # cheap Turtle sanity: balanced quotes / brackets per line group
    check(ttl.count("[") == ttl.count("]"), "unbalanced [ ]")

    if errors:
        for e in errors[:50]:
            print("SELF-CHECK FAILED:", e, file=sys.stderr)
        print(f"{len(errors)} error(s)", file=sys.stderr)
        sys.exit(1)
    return relation_links, len(coats), len(work)


# ==========================================================================


def main():
    items = build_items()
    doc = write_catalog(items)
    ttl = doc.out.getvalue()
    with open(os.path.join(HERE, "catalog.ttl"), "w", encoding="utf-8", newline="\n") as f:
        f.write(ttl)

    stock = build_stock(items)
    stock_path = os.path.join(HERE, "stock.csv")
    write_csv(stock_path, ["sku", "stock"], [(it["sku"], stock[it["sku"]]) for it in items])

    costs = build_costs(items)
    costs_path = os.path.join(HERE, "private", "costs.csv")
    write_csv(costs_path, ["sku", "cost_minor", "floor_minor", "currency"],
              [(it["sku"], *costs[it["sku"]], CURRENCY) for it in items])

    links, n_coats, n_work = self_check(items, doc, ttl, stock_path, costs_path)

    groups = sum(1 for m in MODELS if not is_standalone(m))
    leaves = {s for s, _, _, _ in TAXONOMY} - {p for _, p, _, _ in TAXONOMY if p}
    avail = {}
    for it in items:
        avail[it["availability"]] = avail.get(it["availability"], 0) + 1
    print(f"models: {len(MODELS)} ({groups} product groups, {len(MODELS) - groups} standalone products)")
    print(f"sellable SKUs: {len(items)}  availability: {dict(sorted(avail.items()))}")
    print(f"categories: {len(TAXONOMY)} ({len(leaves)} leaves)")
    print(f"relation links: {links}  waterproof winter coats: {n_coats}  black work shoes < 150 EUR: {n_work}")
    print(f"triples (computed while writing): {doc.triples}")
    print("self-check: OK")


if __name__ == "__main__":
    main()

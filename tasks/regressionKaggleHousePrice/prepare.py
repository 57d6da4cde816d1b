"""Builds the data of the House Prices task.

    python3 prepare.py --out DIR --source SRC   the real data: SRC/train.csv from Kaggle
    python3 prepare.py --out DIR --small        a small synthetic stand-in, offline and seeded

Both write
    DIR/public/train.csv       features and SalePrice (70% of the rows)
    DIR/public/validation.csv  features only (10%)
    DIR/public/test.csv        features only (20%)
    DIR/hidden/answer_validation.csv, DIR/hidden/answer_test.csv   Id,SalePrice
The split is MLGym's: 20% test with scikit-learn's train_test_split(random_state=42), then 12.5%
of the rest (10% of all) as validation with the same seed, keeping the order it returns.
"""

import argparse
import os
import sys
import zipfile

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

KAGGLE_URL = "https://www.kaggle.com/c/house-prices-advanced-regression-techniques/data"
KAGGLE_ZIP = "house-prices-advanced-regression-techniques.zip"
SEED = 42
FULL_ROWS = 1460
SMALL_ROWS = 600  # 420 train, 60 validation, 120 test

# The 81 columns of Kaggle's train.csv, in its order.
COLUMNS = """Id MSSubClass MSZoning LotFrontage LotArea Street Alley LotShape LandContour Utilities
LotConfig LandSlope Neighborhood Condition1 Condition2 BldgType HouseStyle OverallQual OverallCond
YearBuilt YearRemodAdd RoofStyle RoofMatl Exterior1st Exterior2nd MasVnrType MasVnrArea ExterQual
ExterCond Foundation BsmtQual BsmtCond BsmtExposure BsmtFinType1 BsmtFinSF1 BsmtFinType2 BsmtFinSF2
BsmtUnfSF TotalBsmtSF Heating HeatingQC CentralAir Electrical 1stFlrSF 2ndFlrSF LowQualFinSF
GrLivArea BsmtFullBath BsmtHalfBath FullBath HalfBath BedroomAbvGr KitchenAbvGr KitchenQual
TotRmsAbvGrd Functional Fireplaces FireplaceQu GarageType GarageYrBlt GarageFinish GarageCars
GarageArea GarageQual GarageCond PavedDrive WoodDeckSF OpenPorchSF EnclosedPorch 3SsnPorch
ScreenPorch PoolArea PoolQC Fence MiscFeature MiscVal MoSold YrSold SaleType SaleCondition
SalePrice""".split()


# ---------------------------------------------------------------------------------------------
# The real data


def read_source(source):
    """Kaggle's train.csv from the --source folder (or the competition zip in it, or the file)."""
    path = os.path.join(source, "train.csv") if os.path.isdir(source) else source
    zipped = os.path.join(source, KAGGLE_ZIP)
    if os.path.isfile(path):
        frame = pd.read_csv(path)
    elif os.path.isfile(zipped):
        with zipfile.ZipFile(zipped) as archive, archive.open("train.csv") as handle:
            frame = pd.read_csv(handle)
    else:
        sys.exit(f"prepare.py: no train.csv (nor {KAGGLE_ZIP}) in {source}. " + how_to_download())
    # Refuse anything but the 1460-row training file: Kaggle's test.csv has no SalePrice.
    if list(frame.columns) != COLUMNS or len(frame) != FULL_ROWS or not frame["Id"].is_unique:
        sys.exit(f"prepare.py: {path} is not Kaggle's House Prices train.csv (expected {FULL_ROWS} "
                 f"rows and {len(COLUMNS)} columns from Id to SalePrice, got {frame.shape}).")
    return frame


def how_to_download():
    return (f"The real data needs a Kaggle login, so it is not downloaded here: download train.csv "
            f"(or the whole competition zip) from {KAGGLE_URL}, put it in a folder and pass that "
            f"folder with --source (npx mlgym tasks prepare regressionKaggleHousePrice --source "
            f"DIR). Use --small for the synthetic offline variant.")


# ---------------------------------------------------------------------------------------------
# The small synthetic variant: the same columns, dtypes and codes, with SalePrice a noisy
# function of a few features (quality, living area, basement, age, garage, neighbourhood).

# Categorical columns: codes as they appear in Kaggle's file, and rough relative frequencies.
CATEGORIES = {
    "MSZoning": ("RL|RM|FV|RH|C (all)", [79, 15, 4, 1, 1]),
    "Street": ("Pave|Grvl", [99, 1]),
    "LotShape": ("Reg|IR1|IR2|IR3", [63, 33, 3, 1]),
    "LandContour": ("Lvl|Bnk|HLS|Low", [90, 4, 3, 3]),
    "Utilities": ("AllPub|NoSeWa", [999, 1]),
    "LotConfig": ("Inside|Corner|CulDSac|FR2|FR3", [72, 18, 6, 3, 1]),
    "LandSlope": ("Gtl|Mod|Sev", [95, 4, 1]),
    "Neighborhood": ("NAmes|CollgCr|OldTown|Edwards|Somerst|Gilbert|NridgHt|Sawyer|NWAmes|SawyerW|"
                     "BrkSide|Crawfor|Mitchel|NoRidge|Timber|IDOTRR|ClearCr|StoneBr|SWISU|MeadowV|"
                     "Blmngtn|BrDale|Veenker|NPkVill|Blueste",
                     [225, 150, 113, 100, 86, 79, 77, 74, 73, 59, 58, 51, 49, 41, 38, 37, 28, 25,
                      25, 17, 17, 16, 11, 9, 2]),
    "Condition1": ("Norm|Feedr|Artery|RRAn|PosN|RRAe|PosA|RRNn|RRNe", [86, 6, 3, 2, 1, 1, 1, 0.5, 0.2]),
    "Condition2": ("Norm|Feedr|Artery|RRNn|PosN|PosA|RRAn|RRAe", [99, 0.4, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1]),
    "BldgType": ("1Fam|TwnhsE|Duplex|Twnhs|2fmCon", [84, 8, 4, 2, 2]),
    "HouseStyle": ("1Story|2Story|1.5Fin|SLvl|SFoyer|1.5Unf|2.5Unf|2.5Fin", [50, 30, 11, 4, 3, 1, 0.5, 0.5]),
    "RoofStyle": ("Gable|Hip|Flat|Gambrel|Mansard|Shed", [78, 20, 1, 0.5, 0.4, 0.1]),
    "RoofMatl": ("CompShg|Tar&Grv|WdShngl|WdShake|Metal|Membran|Roll|ClyTile", [98, 0.8, 0.4, 0.4, 0.1, 0.1, 0.1, 0.1]),
    "Exterior1st": ("VinylSd|HdBoard|MetalSd|Wd Sdng|Plywood|CemntBd|BrkFace|WdShing|Stucco|AsbShng|"
                    "BrkComm|Stone|AsphShn|ImStucc|CBlock",
                    [35, 15, 15, 14, 7, 4, 3, 2, 2, 1, 0.2, 0.2, 0.1, 0.1, 0.1]),
    "Exterior2nd": ("VinylSd|MetalSd|HdBoard|Wd Sdng|Plywood|CmentBd|Wd Shng|Stucco|BrkFace|AsbShng|"
                    "ImStucc|Brk Cmn|Stone|AsphShn|Other|CBlock",
                    [34, 15, 14, 13, 10, 4, 3, 2, 2, 1, 0.7, 0.5, 0.3, 0.2, 0.1, 0.1]),
    "MasVnrType": ("None|BrkFace|Stone|BrkCmn", [59, 31, 9, 1]),
    "ExterQual": ("TA|Gd|Ex|Fa", [62, 33, 4, 1]),
    "ExterCond": ("TA|Gd|Fa|Ex|Po", [88, 10, 2, 0.2, 0.1]),
    "Foundation": ("PConc|CBlock|BrkTil|Slab|Stone|Wood", [44, 43, 10, 2, 0.5, 0.2]),
    "BsmtQual": ("TA|Gd|Ex|Fa", [46, 43, 8, 3]),
    "BsmtCond": ("TA|Gd|Fa|Po", [92, 5, 3, 0.2]),
    "BsmtExposure": ("No|Av|Gd|Mn", [67, 16, 9, 8]),
    "BsmtFinType1": ("Unf|GLQ|ALQ|BLQ|Rec|LwQ", [30, 29, 15, 10, 9, 5]),
    "BsmtFinType2": ("Unf|Rec|LwQ|BLQ|ALQ|GLQ", [88, 4, 3, 2, 1.5, 1]),
    "Heating": ("GasA|GasW|Grav|Wall|OthW|Floor", [98, 1.2, 0.5, 0.3, 0.1, 0.1]),
    "HeatingQC": ("Ex|TA|Gd|Fa|Po", [51, 29, 17, 3, 0.1]),
    "CentralAir": ("Y|N", [93, 7]),
    "Electrical": ("SBrkr|FuseA|FuseF|FuseP|Mix", [91, 6, 2, 0.2, 0.1]),
    "KitchenQual": ("TA|Gd|Ex|Fa", [50, 40, 7, 3]),
    "Functional": ("Typ|Min2|Min1|Mod|Maj1|Maj2|Sev", [93, 2.3, 2.1, 1, 1, 0.3, 0.1]),
    "FireplaceQu": ("Gd|TA|Fa|Ex|Po", [49, 41, 4, 3, 3]),
    "GarageType": ("Attchd|Detchd|BuiltIn|Basment|CarPort|2Types", [63, 28, 6, 1.4, 0.7, 0.4]),
    "GarageFinish": ("Unf|RFn|Fin", [44, 31, 25]),
    "GarageQual": ("TA|Fa|Gd|Ex|Po", [95, 3.5, 1, 0.2, 0.2]),
    "GarageCond": ("TA|Fa|Gd|Po|Ex", [96, 2.5, 0.7, 0.5, 0.1]),
    "PavedDrive": ("Y|N|P", [92, 6, 2]),
    "Alley": ("Grvl|Pave", [55, 45]),
    "PoolQC": ("Gd|Ex|Fa", [40, 30, 30]),
    "Fence": ("MnPrv|GdPrv|GdWo|MnWw", [56, 21, 19, 4]),
    "MiscFeature": ("Shed|Gar2|Othr|TenC", [90, 4, 4, 2]),
    "SaleType": ("WD|New|COD|ConLD|ConLI|ConLw|CWD|Oth|Con", [87, 8, 3, 0.6, 0.4, 0.3, 0.3, 0.2, 0.1]),
    "SaleCondition": ("Normal|Partial|Abnorml|Family|Alloca|AdjLand", [82, 9, 7, 1.4, 0.8, 0.3]),
}
SUBCLASSES = ([20, 30, 40, 45, 50, 60, 70, 75, 80, 85, 90, 120, 150, 160, 180, 190],
              [536, 69, 4, 12, 144, 299, 60, 16, 58, 20, 52, 87, 1, 63, 10, 30])
SECOND_FLOOR_STYLES = ["2Story", "1.5Fin", "2.5Fin", "2.5Unf"]


def synthesize(rows, rng):
    def pick(column, size=rows):
        codes, weights = CATEGORIES[column]
        weights = np.asarray(weights, dtype=float)
        return rng.choice(codes.split("|"), size=size, p=weights / weights.sum()).astype(object)

    def where(mask, values, empty):
        """values where mask holds, `empty` (np.nan, or 0 for areas and counts) elsewhere."""
        values = np.asarray(values)
        out = values.astype(object if values.dtype.kind in "OU" else float)
        out[~mask] = empty
        return out

    def sometimes(share, low, high):
        """An area that is 0 for all but `share` of the houses."""
        return np.where(rng.random(rows) < share, rng.integers(low, high, rows), 0)

    d = {"Id": np.arange(1, rows + 1)}
    d["MSSubClass"] = rng.choice(SUBCLASSES[0], rows, p=np.divide(SUBCLASSES[1], sum(SUBCLASSES[1])))
    for column in CATEGORIES:
        d[column] = pick(column)

    d["LotFrontage"] = where(rng.random(rows) > 0.18, np.clip(rng.normal(70, 22, rows).round(), 21, 313), np.nan)
    d["LotArea"] = np.clip(rng.lognormal(9.15, 0.45, rows), 1300, 215245).astype(int)
    d["Alley"] = where(rng.random(rows) < 0.06, d["Alley"], np.nan)
    d["OverallQual"] = np.clip(rng.normal(6.1, 1.4, rows).round(), 1, 10).astype(int)
    d["OverallCond"] = rng.choice(np.arange(1, 10), rows, p=[.01, .01, .02, .04, .56, .17, .14, .05, .00])
    d["YearBuilt"] = np.clip(rng.normal(1972, 30, rows).round(), 1872, 2010).astype(int)
    remodelled = rng.random(rows) < 0.5
    floor = np.maximum(d["YearBuilt"], 1950)
    d["YearRemodAdd"] = np.where(remodelled, rng.integers(floor, 2011), floor)
    d["MasVnrType"] = where(rng.random(rows) > 0.006, d["MasVnrType"], np.nan)
    area = np.where(d["MasVnrType"] == "None", 0, rng.lognormal(5.2, 0.6, rows).round())
    d["MasVnrArea"] = where(~pd.isna(d["MasVnrType"]), area, np.nan)

    d["1stFlrSF"] = np.clip(rng.normal(1160, 370, rows), 334, 4692).astype(int)
    upstairs = np.isin(d["HouseStyle"], SECOND_FLOOR_STYLES)
    d["2ndFlrSF"] = np.where(upstairs, np.clip(rng.normal(800, 230, rows), 110, 2065), 0).astype(int)
    d["LowQualFinSF"] = sometimes(0.02, 50, 572)
    d["GrLivArea"] = d["1stFlrSF"] + d["2ndFlrSF"] + d["LowQualFinSF"]

    # A house without a basement (about 2.5%) has no basement codes and no basement area.
    basement = rng.random(rows) > 0.025
    total = np.where(basement, (d["1stFlrSF"] * rng.uniform(0.6, 1.05, rows)).round(), 0).astype(int)
    finished1 = np.where(d["BsmtFinType1"] == "Unf", 0, total * rng.uniform(0.3, 0.9, rows)).astype(int)
    finished2 = np.where(d["BsmtFinType2"] == "Unf", 0, (total - finished1) * rng.uniform(0, 0.8, rows)).astype(int)
    d["TotalBsmtSF"], d["BsmtFinSF1"], d["BsmtFinSF2"] = total, finished1, finished2
    d["BsmtUnfSF"] = total - finished1 - finished2
    for column in ["BsmtQual", "BsmtCond", "BsmtExposure", "BsmtFinType1", "BsmtFinType2"]:
        d[column] = where(basement, d[column], np.nan)
    d["BsmtFullBath"] = np.where(basement, rng.choice([0, 1, 2], rows, p=[.6, .39, .01]), 0)
    d["BsmtHalfBath"] = np.where(basement, rng.choice([0, 1], rows, p=[.94, .06]), 0)
    d["Electrical"] = where(rng.random(rows) > 0.002, d["Electrical"], np.nan)

    d["FullBath"] = np.clip(1 + (d["GrLivArea"] > 1350) + (d["GrLivArea"] > 2600), 0, 3)
    d["HalfBath"] = rng.choice([0, 1, 2], rows, p=[.63, .36, .01])
    d["BedroomAbvGr"] = np.clip((d["GrLivArea"] / 520 + rng.normal(0.3, 0.6, rows)).round(), 0, 8).astype(int)
    d["KitchenAbvGr"] = rng.choice([1, 2], rows, p=[.95, .05])
    d["TotRmsAbvGrd"] = np.clip(d["BedroomAbvGr"] + 2 + rng.integers(0, 3, rows), 2, 14)
    d["Fireplaces"] = rng.choice([0, 1, 2, 3], rows, p=[.47, .45, .075, .005])
    d["FireplaceQu"] = where(d["Fireplaces"] > 0, d["FireplaceQu"], np.nan)

    # About 5% have no garage: no garage codes, year, cars or area.
    garage = rng.random(rows) > 0.055
    d["GarageCars"] = np.where(garage, rng.choice([1, 2, 3, 4], rows, p=[.27, .59, .135, .005]), 0)
    d["GarageArea"] = np.where(garage, d["GarageCars"] * 240 + rng.integers(-60, 120, rows), 0)
    built_later = np.minimum(d["YearBuilt"] + rng.integers(0, 30, rows), 2010)
    d["GarageYrBlt"] = where(garage, np.where(rng.random(rows) < 0.75, d["YearBuilt"], built_later), np.nan)
    for column in ["GarageType", "GarageFinish", "GarageQual", "GarageCond"]:
        d[column] = where(garage, d[column], np.nan)

    d["WoodDeckSF"] = sometimes(0.48, 12, 857)
    d["OpenPorchSF"] = sometimes(0.55, 4, 547)
    d["EnclosedPorch"] = sometimes(0.14, 19, 552)
    d["3SsnPorch"] = sometimes(0.02, 23, 508)
    d["ScreenPorch"] = sometimes(0.08, 40, 480)
    d["PoolArea"] = sometimes(0.005, 480, 738)
    d["PoolQC"] = where(d["PoolArea"] > 0, d["PoolQC"], np.nan)
    d["Fence"] = where(rng.random(rows) < 0.19, d["Fence"], np.nan)
    d["MiscFeature"] = where(rng.random(rows) < 0.04, d["MiscFeature"], np.nan)
    d["MiscVal"] = np.where(pd.isna(d["MiscFeature"]), 0, rng.integers(50, 2500, rows))
    d["MoSold"] = rng.choice(np.arange(1, 13), rows, p=np.divide([4, 4, 7, 10, 14, 17, 16, 9, 5, 6, 5, 3], 100))
    d["YrSold"] = np.maximum(rng.integers(2006, 2011, rows), d["YearRemodAdd"].clip(max=2010))

    # The price, on a log scale: quality (with an upturn for the best houses), size, age,
    # garage, condition and a per-neighbourhood premium, with about 10% noise.
    neighbourhoods = CATEGORIES["Neighborhood"][0].split("|")
    premium = dict(zip(neighbourhoods, rng.normal(0, 0.15, len(neighbourhoods))))
    quality = d["OverallQual"] - 6
    log_price = (11.7 + 0.11 * quality + 0.015 * quality ** 2
                 + 0.45 * np.log(d["GrLivArea"] / 1500)
                 + 0.13 * d["TotalBsmtSF"] / 1000
                 + 0.003 * (d["YearBuilt"] - 1970)
                 + 0.05 * d["GarageCars"]
                 + 0.04 * (d["OverallCond"] - 5)
                 + 0.04 * (d["Fireplaces"] > 0)
                 + 0.07 * np.log(d["LotArea"] / 9500)
                 + np.vectorize(premium.get)(d["Neighborhood"])
                 - 0.12 * (d["SaleCondition"] == "Abnorml")
                 + rng.normal(0, 0.1, rows))
    d["SalePrice"] = np.exp(log_price).round().astype(int)
    return pd.DataFrame(d)[COLUMNS]


# ---------------------------------------------------------------------------------------------


def split(frame):
    """MLGym's split: 20% test, then 12.5% of the rest as validation, both with seed 42."""
    rest, test = train_test_split(frame, test_size=0.2, random_state=SEED)
    train, validation = train_test_split(rest, test_size=0.125, random_state=SEED)
    return train, validation, test


def write(out, frame):
    train, validation, test = split(frame)
    public, hidden = os.path.join(out, "public"), os.path.join(out, "hidden")
    os.makedirs(public, exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    train.to_csv(os.path.join(public, "train.csv"), index=False)
    for name, part in [("validation", validation), ("test", test)]:
        part.drop(columns="SalePrice").to_csv(os.path.join(public, f"{name}.csv"), index=False)
        part[["Id", "SalePrice"]].to_csv(os.path.join(hidden, f"answer_{name}.csv"), index=False)
    print(f"wrote {out}: train {train.shape}, validation {validation.shape}, test {test.shape}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output folder (gets public/ and hidden/)")
    parser.add_argument("--small", action="store_true", help="synthetic offline data")
    parser.add_argument("--source", help="folder holding Kaggle's train.csv (or the competition zip)")
    args = parser.parse_args()
    if args.small:
        frame = synthesize(SMALL_ROWS, np.random.default_rng(SEED))
    elif args.source:
        frame = read_source(args.source)
    else:
        sys.exit("prepare.py: the full variant needs --source. " + how_to_download())
    write(args.out, frame)


if __name__ == "__main__":
    main()

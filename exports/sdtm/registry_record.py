"""What the trial design datasets take from the trial's public registry record (ClinicalTrials.gov
NCT03745417, kept beside the project as ../shared/seed/): facts of the protocol that the study
configuration does not hold because they never change. Everything that is a setting (study ID,
title, dose per kg, enrollment target, visit schedule, eligibility thresholds) is read from the
study configuration instead.
"""

COUNTRY = "CHN"  # Listed Location Countries: China (ISO 3166-1 alpha-3)
SPONSOR = "Guangdong Provincial Hospital of Traditional Chinese Medicine"
PHASE = "PHASE I/II TRIAL"  # Study Phase: Phase 1 Phase 2
TRIAL_TYPES = ("EFFICACY", "SAFETY")  # the purpose: efficacy and safety of UCMSCs
INDICATION = "Moderate to severe psoriasis vulgaris"
INTERVENTION = "Umbilical cord mesenchymal stem cells (UCMSCs)"
INTERVENTION_TYPE = "BIOLOGIC"  # Intervention: Biological
ROUTE = "INTRAVENOUS"
FREQUENCY = "Q2W"  # weeks 0, 2, 4, 6 and 8
DOSE_UNIT = "10^6 Therapeutic Cells/kg"
PRIMARY_OUTCOME = (
    "PASI score improvement rate at week 12 (plus or minus 3 days): (PASI before intervention - PASI after "
    "intervention) / PASI before intervention x 100%"
)
PRIMARY_OBJECTIVE = (
    "To evaluate the efficacy and safety of expanded umbilical cord mesenchymal stem cells in patients with "
    "moderate to severe psoriasis"
)
STUDY_TYPE = "INTERVENTIONAL"
INTENT = "TREATMENT"  # Primary Purpose: Treatment
INTERVENTION_MODEL = "SINGLE GROUP"
BLINDING = "OPEN LABEL"
CONTROL = "NONE"
RANDOMIZED = "N"
HEALTHY_SUBJECTS = "N"
SEX_POPULATION = "BOTH"
PLANNED_LENGTH = "P12W"  # treatment and follow-up: 12 weeks from Day 1
REGISTRY = "ClinicalTrials.gov"

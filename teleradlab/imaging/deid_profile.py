"""The attribute actions of the DICOM PS3.15 Basic Application Level Confidentiality Profile.

From PS3.15 Annex E, Table E.1-1 (the "Basic Prof." column). Action codes:

- ``X`` remove; ``Z`` replace with a zero-length value; ``D`` replace with a
  non-zero-length dummy value consistent with the VR; ``U`` replace a UID with a
  non-identifying one, consistently within the set of instances.
- Compound codes resolve as the standard directs for an application that does not
  know the IOD's type for each attribute: ``X/Z`` → Z, ``Z/D`` → Z, ``X/D`` → X,
  ``X/Z/D`` → X, ``X/Z/U*`` → U (keeps referential integrity).
"""

from __future__ import annotations

#: keyword → action (already resolved to one of X, Z, D, U).
BASIC_PROFILE: dict[str, str] = {
    # Patient identification and demographics
    "PatientName": "Z", "PatientID": "Z", "IssuerOfPatientID": "X", "PatientBirthDate": "Z",
    "PatientBirthTime": "X", "PatientSex": "Z", "OtherPatientIDs": "X", "OtherPatientIDsSequence": "X",
    "OtherPatientNames": "X", "PatientBirthName": "X", "PatientAge": "X", "PatientSize": "X", "PatientWeight": "X",
    "PatientAddress": "X", "PatientMotherBirthName": "X", "MilitaryRank": "X", "BranchOfService": "X",
    "MedicalRecordLocator": "X", "PatientTelephoneNumbers": "X", "PatientTelecomInformation": "X",
    "EthnicGroup": "X", "Occupation": "X", "AdditionalPatientHistory": "X", "PatientComments": "X",
    "PatientReligiousPreference": "X", "MedicalAlerts": "X", "Allergies": "X", "CountryOfResidence": "X",
    "RegionOfResidence": "X", "PregnancyStatus": "X", "SmokingStatus": "X", "LastMenstrualDate": "X",
    "PatientState": "X", "ResponsiblePerson": "X", "ResponsibleOrganization": "X",
    "PatientInsurancePlanCodeSequence": "X", "PatientPrimaryLanguageCodeSequence": "X",
    "ReferencedPatientSequence": "X", "ReferencedPatientPhotoSequence": "X", "PatientSexNeutered": "X",
    "PatientBreedDescription": "X", "ResponsiblePersonRole": "X", "PatientInstitutionResidence": "X",
    "CurrentPatientLocation": "X", "AdmissionID": "X", "IssuerOfAdmissionIDSequence": "X",
    "AdmittingDiagnosesDescription": "X", "AdmittingDiagnosesCodeSequence": "X", "AdmittingDate": "X",
    "AdmittingTime": "X", "DischargeDiagnosisDescription": "X", "SpecialNeeds": "X", "ServiceEpisodeID": "X",
    "ServiceEpisodeDescription": "X", "VisitComments": "X", "PatientTransportArrangements": "X",
    # Study, visit and request
    "AccessionNumber": "Z", "StudyID": "Z", "StudyDate": "Z", "StudyTime": "Z", "StudyDescription": "X",
    "StudyComments": "X", "ReferringPhysicianName": "Z", "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X", "ReferringPhysicianIdentificationSequence": "X",
    "ConsultingPhysicianName": "X", "ConsultingPhysicianIdentificationSequence": "X",
    "PhysiciansOfRecord": "X", "PhysiciansOfRecordIdentificationSequence": "X",
    "NameOfPhysiciansReadingStudy": "X", "PhysiciansReadingStudyIdentificationSequence": "X",
    "RequestingPhysician": "X", "RequestingService": "X", "RequestedProcedureDescription": "Z",
    "RequestedProcedureID": "X", "RequestAttributesSequence": "X", "ReasonForStudy": "X",
    "ReasonForTheRequestedProcedure": "X", "RequestedProcedureComments": "X", "ImagingServiceRequestComments": "X",
    "OrderEnteredBy": "X", "OrderEntererLocation": "X", "OrderCallbackPhoneNumber": "X", "PlacerOrderNumberImagingServiceRequest": "Z",
    "FillerOrderNumberImagingServiceRequest": "Z", "ReferencedStudySequence": "Z", "InterpretationRecorder": "X",
    "InterpretationTranscriber": "X", "InterpretationText": "X", "InterpretationAuthor": "X",
    "InterpretationApproverSequence": "X", "InterpretationDiagnosisDescription": "X", "ResultsComments": "X",
    "ResultsID": "X", "ResultsIDIssuer": "X",
    # Series, procedure steps and equipment
    "SeriesDate": "X", "SeriesTime": "X", "SeriesDescription": "X", "PerformingPhysicianName": "X",
    "PerformingPhysicianIdentificationSequence": "X", "OperatorsName": "X", "OperatorIdentificationSequence": "X",
    "ProtocolName": "X", "PerformedProcedureStepID": "X", "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepStartDate": "X", "PerformedProcedureStepStartTime": "X",
    "PerformedProcedureStepEndDate": "X", "PerformedProcedureStepEndTime": "X",
    "PerformedLocation": "X", "PerformedStationName": "X", "PerformedStationAETitle": "X",
    "ScheduledProcedureStepDescription": "X", "ScheduledProcedureStepID": "X",
    "ScheduledProcedureStepStartDate": "X", "ScheduledProcedureStepStartTime": "X",
    "ScheduledProcedureStepEndDate": "X", "ScheduledProcedureStepEndTime": "X",
    "ScheduledPerformingPhysicianName": "X", "ScheduledStationName": "X", "ScheduledStationAETitle": "X",
    "ReferencedPerformedProcedureStepSequence": "X", "RequestedContrastAgent": "X", "CommentsOnThePerformedProcedureStep": "X",
    "InstitutionName": "X", "InstitutionAddress": "X", "InstitutionalDepartmentName": "X", "InstitutionCodeSequence": "X",
    "StationName": "X", "DeviceSerialNumber": "X", "DeviceUID": "U", "DetectorID": "X", "GantryID": "X",
    "GeneratorID": "X", "PlateID": "X", "CassetteID": "X", "SourceSerialNumber": "X", "DateOfLastCalibration": "X",
    "TimeOfLastCalibration": "X", "DateOfLastDetectorCalibration": "X", "TimeOfLastDetectorCalibration": "X",
    "ModifyingDeviceID": "X", "ModifyingDeviceManufacturer": "X", "AcquisitionDeviceProcessingDescription": "X",
    "AcquisitionComments": "X", "AcquisitionDate": "Z", "AcquisitionTime": "Z", "AcquisitionDateTime": "X",
    "ContentDate": "Z", "ContentTime": "Z", "InstanceCreationDate": "X", "InstanceCreationTime": "X",
    "InstanceCreatorUID": "U", "TimezoneOffsetFromUTC": "X", "OverlayDate": "X", "OverlayTime": "X",
    "CurveDate": "X", "CurveTime": "X", "DerivationDescription": "X", "ImageComments": "X",
    "FrameComments": "X", "IconImageSequence": "X", "TextComments": "X", "TextString": "X", "TextValue": "X",
    "OverlayComments": "X", "ContentCreatorName": "Z", "ContentCreatorIdentificationCodeSequence": "X",
    "VerifyingObserverName": "D", "VerifyingObserverIdentificationCodeSequence": "Z",
    "VerifyingOrganization": "X", "PersonName": "D", "PersonAddress": "X", "PersonTelephoneNumbers": "X",
    "PersonIdentificationCodeSequence": "D", "Arbitrary": "X", "DigitalSignaturesSequence": "X",
    "DataSetTrailingPadding": "X", "OriginalAttributesSequence": "X", "ModifiedAttributesSequence": "X",
    "MACParametersSequence": "X", "EncryptedAttributesSequence": "X", "ReferencedImageSequence": "X",
    "SourceImageSequence": "X", "ReferencedSOPInstanceMACSequence": "X", "StorageMediaFileSetID": "X",
    "FrameOfReferenceUID": "U", "SynchronizationFrameOfReferenceUID": "U", "IrradiationEventUID": "U",
    "ConcatenationUID": "U", "DimensionOrganizationUID": "U", "ReferencedFrameOfReferenceUID": "U",
    "RelatedFrameOfReferenceUID": "U", "StorageMediaFileSetUID": "U", "TransactionUID": "U",
    "FiducialUID": "U", "TemplateExtensionCreatorUID": "U", "TemplateExtensionOrganizationUID": "U",
    "TargetUID": "U", "UID": "U", "LargePaletteColorLookupTableUID": "U", "PaletteColorLookupTableUID": "U",
    "ReferencedGeneralPurposeScheduledProcedureStepTransactionUID": "U", "DoseReferenceUID": "U",
    "StudyInstanceUID": "U", "SeriesInstanceUID": "U", "SOPInstanceUID": "U", "ReferencedSOPInstanceUID": "U",
    "MediaStorageSOPInstanceUID": "U", "ReferencedSOPInstanceUIDInFile": "U",
}

#: VRs that can carry identity: anything with one of these VRs that the table does not
#: mention is emptied (dates, times, names) or removed (free text) as a safety net.
EMPTY_VRS = ("PN", "DA", "DT", "TM")
REMOVE_VRS = ("LT", "ST", "UT")

#: Attributes kept even though their VR is in the safety net (structural, not identifying).
KEEP = frozenset({"SpecificCharacterSet", "DeidentificationMethod", "PatientIdentityRemoved", "FrameTime"})

#: The code for the profile in De-identification Method Code Sequence (CID 7050).
PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")
